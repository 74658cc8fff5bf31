package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestChargeCrash: barcode charges are SIGKILLed mid-charge. 24 charges of buyers who must
// confirm on the phone are sent (?wait=0, 10 s deadline); a third of the buyers confirm
// before the kill, a third while the gateway is down, a third never. After the restart the
// reconciler finishes every charge: what Alipay charged is recorded paid, the rest is
// cancelled; nothing is charged twice or left open, on either side.
func TestChargeCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("charge crash test: skipped in -short")
	}
	w := newWorld(t)
	w.start()
	c := client.New(w.baseURL, w.clientID, w.secret)
	ctx := withTimeout(t, 3*time.Minute)
	const n = 24
	nos, codes := make([]string, n), make([]string, n)
	for i := range n {
		code, err := w.sb.NewAuthCode(sandbox.BehaviourPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		nos[i], codes[i] = fmt.Sprintf("crash_charge_%02d", i), code.AuthCode
		p, err := c.Charge(ctx, client.ChargeRequest{OutTradeNo: nos[i], TotalAmount: "1.00", Subject: "crash",
			AuthCode: codes[i], TimeoutSeconds: 10}, client.ChargeOptions{NoWait: true})
		if err != nil || p.Status != client.StatusPending {
			t.Fatalf("charge %s: %+v, %v", nos[i], p, err)
		}
	}
	waiting := func(i int) bool {
		tr, ok := w.sb.Trade(w.appID, nos[i])
		return ok && tr.Status == sandbox.StatusWaitBuyerPay
	}
	// Every alipay.trade.pay has been sent; the first third of the buyers confirm.
	testutil.WaitFor(t, 0, "every charge waits for its buyer", func() bool {
		for i := range n {
			if !waiting(i) {
				return false
			}
		}
		return true
	})
	confirm := func(i int) {
		if _, err := w.sb.ConfirmAuthCode(codes[i], sandbox.OutcomeSuccess); err != nil {
			t.Errorf("confirm %s: %v", nos[i], err)
		}
	}
	for i := 0; i < n/3; i++ {
		confirm(i)
	}
	w.kill() // mid-charge: every settle loop is still before its deadline
	for i := n / 3; i < 2*n/3; i++ {
		confirm(i)
	}
	w.start()

	var charged, paid, cancelled, refunded, doubled, open int
	testutil.WaitFor(t, 90*time.Second, "the reconciler settles every charge", func() bool {
		for _, no := range nos {
			p, err := c.Query(ctx, no, client.QueryOptions{})
			if err != nil || p.Status == client.StatusPending {
				return false
			}
		}
		return true
	})
	for i, no := range nos {
		p, err := c.Query(ctx, no, client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr, _ := w.sb.Trade(w.appID, no)
		atAlipay := tr.PaidAt != nil && tr.RefundedAmount == "0.00"
		if atAlipay {
			charged++
		}
		switch p.Status {
		case client.StatusPaid:
			paid++
			if !atAlipay || p.TradeNo != tr.TradeNo {
				t.Errorf("%s: recorded paid, Alipay has %s refunded %s", no, tr.Status, tr.RefundedAmount)
			}
		case client.StatusClosed:
			cancelled++
			if tr.PaidAt != nil || tr.Status != sandbox.StatusTradeClosed {
				t.Errorf("%s: closed here, Alipay has %s paid %v", no, tr.Status, tr.PaidAt)
			}
		case client.StatusRefunded:
			refunded++
			if tr.RefundedAmount != tr.TotalAmount {
				t.Errorf("%s: refunded here, Alipay refunded %s", no, tr.RefundedAmount)
			}
		default:
			open++
		}
		if tr.Status == sandbox.StatusWaitBuyerPay {
			open++
		}
		// A buyer is charged at most once: the code is single-use and the order has one trade.
		if tr.PaidAt != nil && tr.RefundedAmount != "0.00" && tr.RefundedAmount != tr.TotalAmount {
			doubled++
		}
		if want := i < 2*n/3; atAlipay != want {
			t.Errorf("%s: charged at Alipay %v, want %v (confirmed)", no, atAlipay, want)
		}
	}
	evs, err := c.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	perOrder := map[string]int{}
	for _, e := range evs.Data {
		var d struct {
			OutTradeNo string `json:"out_trade_no"`
		}
		_ = json.Unmarshal(e.Data, &d)
		perOrder[d.OutTradeNo+" "+e.Type]++
	}
	for k, v := range perOrder {
		if v > 1 {
			doubled++
			t.Errorf("%d events %s", v, k)
		}
	}
	fmt.Printf("charge crash test: %d charges, SIGKILL mid-charge; charged at Alipay %d, recorded paid %d, cancelled %d, refunded %d, doubled %d, left open %d\n",
		n, charged, paid, cancelled, refunded, doubled, open)
	if charged != 2*n/3 || paid != charged || cancelled != n-charged || doubled != 0 || open != 0 {
		t.Fatalf("counts disagree; serve log tail:\n%s", w.logTail())
	}
	w.stop()
}
