package worker

// The books against Alipay's ledger: helpers shared by the fault matrix and the randomized
// ledger test. Both drive the merchant API (payment.Service, as the HTTP handlers call it)
// and the reconciler to quiescence, then compare every order and refund with the sandbox's
// trades (docs/decisions.md, "Proof: the books end equal to Alipay's").

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// Kinds of order the ledger tests make: a QR order paid through Alipay, a till's barcode
// charge at Alipay, a WeChat Pay Native order.
const (
	kindAlipay  = "alipay"
	kindBarcode = "barcode"
	kindWeChat  = "wechat"
)

// ledgerEnv is a gateway core on a fake clock with its sandboxes (Alipay's, WeChat Pay's)
// and a reconciler.
type ledgerEnv struct {
	t        testing.TB
	clock    *fakeClock
	svc      *payment.Service
	store    payment.Store
	sb       *sandbox.Sandbox
	appID    string
	clientID string
	rec      *Reconciler
	wx       *wechat.Sandbox
	wxURL    string
	mchID    string
	orders   []string                             // every out_trade_no created, in order
	kind     map[string]string                    // each order's kind (kindAlipay, kindBarcode, kindWeChat)
	asked    map[string]map[string]payment.Amount // refunds the merchant asked for, by order and refund_no
	outside  map[string]payment.Amount            // refunded outside f2fpay (portal), by order
}

// channelTimeout is the channel's call timeout: short, so that timeouts cost little.
const channelTimeout = 250 * time.Millisecond

func newLedgerEnv(t *testing.T, st payment.Store) *ledgerEnv {
	t.Helper()
	clock := newFakeClock()
	te := testenv.New(t, testenv.Options{Clock: clock, ChannelTimeout: channelTimeout, Store: st, WeChat: true,
		Config: payment.Config{ConfirmWithQuery: true, RefundQueryDelay: 10 * time.Second, ChargePoll: 200 * time.Millisecond,
			CheckSchedule: []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}}})
	c, _, err := te.Service.CreateMerchant(bg, "ledger", "")
	if err != nil {
		t.Fatal(err)
	}
	return &ledgerEnv{t: t, clock: clock, svc: te.Service, store: te.Service.Store(), sb: te.Sandbox, appID: te.AppID,
		clientID: c.AppID, rec: NewReconciler(te.Service, ReconcilerConfig{Clock: clock, Batch: 200}),
		wx: te.WeChatSandbox, wxURL: te.WeChatURL, mchID: te.WeChatMchID, kind: map[string]string{},
		asked: map[string]map[string]payment.Amount{}, outside: map[string]payment.Amount{}}
}

func (e *ledgerEnv) remember(no, kind string) {
	if len(e.orders) == 0 || e.orders[len(e.orders)-1] != no {
		e.orders = append(e.orders, no)
		e.kind[no] = kind
	}
}

// create asks for an Alipay QR order; its error (an unknown outcome under a fault) is returned.
func (e *ledgerEnv) create(no string, amount payment.Amount) error {
	e.remember(no, kindAlipay)
	_, _, err := e.svc.Create(bg, e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: amount, Subject: "ledger", TimeoutMinutes: 5})
	return err
}

// createWeChat asks for a WeChat Pay Native order.
func (e *ledgerEnv) createWeChat(no string, amount payment.Amount) error {
	e.remember(no, kindWeChat)
	_, _, err := e.svc.Create(bg, e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: amount, Subject: "ledger",
		TimeoutMinutes: 5, Channel: payment.ChannelWeChat})
	return err
}

// charge is a till charging the buyer's payment code, without waiting for the outcome (the
// charge settles behind, on the fake clock's deadline).
func (e *ledgerEnv) charge(no string, amount payment.Amount, code string) error {
	e.remember(no, kindBarcode)
	_, _, err := e.svc.Charge(bg, e.clientID, payment.ChargeRequest{OutTradeNo: no, TotalAmount: amount, Subject: "ledger",
		AuthCode: code, TimeoutSeconds: int(payment.MinChargeTimeout / time.Second)}, false)
	return err
}

// payWeChat is the buyer paying at the WeChat sandbox; an error is its refusal (closed,
// expired, paid already).
func (e *ledgerEnv) payWeChat(no string) error {
	b, _ := json.Marshal(map[string]string{"mchid": e.mchID, "out_trade_no": no})
	resp, err := http.Post(e.wxURL+"/sandbox/wechat/api/pay", "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wechat sandbox pay %s: %d %s", no, resp.StatusCode, body)
	}
	return nil
}

// wxSettled reports that no refund at the WeChat sandbox is still PROCESSING.
func (e *ledgerEnv) wxSettled() bool {
	for _, tr := range e.wx.Trades(e.mchID, "") {
		for _, r := range tr.Refunds {
			if r.Status == "PROCESSING" {
				return false
			}
		}
	}
	return true
}

// refund asks for a refund and remembers what was asked.
func (e *ledgerEnv) refund(no, refundNo string, amount payment.Amount) error {
	_, err := e.svc.Refund(bg, e.clientID, payment.RefundInput{OutTradeNo: no, RefundNo: refundNo, Amount: amount})
	if payment.ErrorCode(err) == payment.CodeUnprocessable || payment.ErrorCode(err) == payment.CodeConflict {
		return err // refused before Alipay: nothing asked
	}
	if e.asked[no] == nil {
		e.asked[no] = map[string]payment.Amount{}
	}
	e.asked[no][refundNo] = amount
	return err
}

// outsideRefund refunds at the sandbox as Alipay's portal does.
func (e *ledgerEnv) outsideRefund(no string, amount payment.Amount, requestNo string) error {
	if _, err := e.sb.OutsideRefund(e.appID, no, amount.String(), requestNo); err != nil {
		return err
	}
	e.outside[no] += amount
	return nil
}

// quiesce clears the faults and runs the reconciler, moving the clock a minute a round,
// until every order is past its expiry and no order or refund is due, with the sandbox's
// notifications delivered.
func (e *ledgerEnv) quiesce() {
	e.t.Helper()
	e.sb.SetFaults(sandbox.Faults{Seed: 1})
	e.wx.ClearFaults()
	e.rounds()
	// WeChat Pay settles a refund some seconds after accepting it (PROCESSING), on its own
	// clock: once all have, more rounds record them.
	testutil.WaitFor(e.t, 0, "wechat refunds settled", e.wxSettled)
	e.rounds()
}

// rounds runs the reconciler until it has had nothing to do for three rounds.
func (e *ledgerEnv) rounds() {
	e.t.Helper()
	quiet := 0
	for round := 0; round < 200 && quiet < 3; round++ {
		testutil.WaitFor(e.t, 0, "sandbox notifications delivered", func() bool { return e.sb.NotifyIdle(time.Second) })
		e.clock.Add(time.Minute)
		n, err := e.rec.runOnce(context.Background())
		if err != nil {
			e.t.Fatalf("reconciler: %v", err)
		}
		if n == 0 && round > 8 {
			quiet++
		} else {
			quiet = 0
		}
	}
	testutil.WaitFor(e.t, 0, "sandbox notifications delivered", func() bool { return e.sb.NotifyIdle(time.Second) })
}

// reconcileBill compares today's bill so far (Beijing time, the sandbox's clock) with the
// books, as the daily reconciliation does the next morning: it is how f2fpay learns of a
// partial refund made in Alipay's portal whose notification was lost, which no query of
// the trade shows.
func (e *ledgerEnv) reconcileBill() {
	e.t.Helper()
	day := payment.BillDayOf(time.Now())
	rec := httptest.NewRecorder()
	e.sb.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sandbox/api/bill?app_id="+e.appID+"&date="+string(day), nil))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("sandbox bill of %s: %d %s", day, rec.Code, rec.Body)
	}
	b, err := alipay.ParseBill(rec.Body.Bytes())
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.ReconcileDay(bg, payment.ReconcileInput{Day: day, Bill: b, Trigger: payment.TriggerCLI}); err != nil {
		e.t.Fatalf("reconcile %s: %v", day, err)
	}
}

// ledgerCounts is what the comparison found.
type ledgerCounts struct {
	orders, ordersDiffer, refunds, overPaid, eventsMissing, eventsDoubled int
	details                                                               []string
	byKind                                                                map[string]int // orders of each kind
	paidByKind                                                            map[string]int // of which paid at the channel
}

// channelTrade is an order as its channel's sandbox has it.
type channelTrade struct {
	ok, paid bool
	status   string
	refunded payment.Amount
	byNo     map[string]payment.Amount // succeeded refunds by out_request_no / out_refund_no
}

func (e *ledgerEnv) channelTrade(no string) channelTrade {
	ct := channelTrade{byNo: map[string]payment.Amount{}}
	if e.kind[no] == kindWeChat {
		trs := e.wx.Trades(e.mchID, no)
		if len(trs) != 1 {
			return ct
		}
		tr := trs[0]
		ct.ok, ct.paid, ct.status = true, tr.SuccessTime != nil, tr.State
		for _, r := range tr.Refunds {
			ct.status += " " + r.OutRefundNo + ":" + r.Status
			if r.Status == "SUCCESS" {
				ct.byNo[r.OutRefundNo] = payment.Amount(r.Refund)
				ct.refunded += payment.Amount(r.Refund)
			}
		}
		return ct
	}
	tr, ok := e.sb.Trade(e.appID, no)
	if !ok {
		return ct
	}
	ct.ok, ct.paid, ct.status = true, tr.PaidAt != nil, tr.Status
	ct.refunded, _ = payment.ParseAmount(tr.RefundedAmount)
	for _, r := range tr.Refunds {
		a, _ := payment.ParseAmount(r.Amount)
		ct.byNo[r.OutRequestNo] = a
	}
	return ct
}

func (c *ledgerCounts) differ(format string, args ...any) {
	c.ordersDiffer++
	c.details = append(c.details, fmt.Sprintf(format, args...))
}

// compare checks every order and refund of the books against the sandbox's trades, the
// money refunded at Alipay against what was asked, and each order's events.
func (e *ledgerEnv) compare() ledgerCounts {
	e.t.Helper()
	c := ledgerCounts{byKind: map[string]int{}, paidByKind: map[string]int{}}
	for _, no := range e.orders {
		c.orders++
		c.byKind[e.kind[no]]++
		o, err := e.store.GetOrder(bg, no)
		if err != nil {
			continue // create refused before anything was written
		}
		ct := e.channelTrade(no)
		paid, alipayRefunded, byNo := ct.paid, ct.refunded, ct.byNo
		if paid {
			c.paidByKind[e.kind[no]]++
		}
		want := payment.StatusClosed
		switch {
		case paid && alipayRefunded == o.TotalAmount:
			want = payment.StatusRefunded
		case paid:
			want = payment.StatusPaid
		}
		if o.Status != want || o.RefundedAmount != alipayRefunded {
			c.differ("%s (%s): books %s refunded %s; channel %s paid=%v refunded %s", no, e.kind[no], o.Status, o.RefundedAmount,
				ct.status, paid, alipayRefunded)
		}
		refunds, err := e.store.ListRefunds(bg, no)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range refunds {
			c.refunds++
			key := r.RefundNo
			if key == "cancel" && e.kind[no] == kindBarcode {
				key = no // the refund alipay.trade.cancel made: Alipay numbers it with the out_trade_no
			}
			at, atAlipay := byNo[key]
			switch {
			case r.Status == payment.RefundPending:
				c.differ("%s/%s: still pending after quiescence", no, r.RefundNo)
			case r.Status == payment.RefundFailed && atAlipay:
				c.differ("%s/%s: failed in the books, refunded %s at alipay", no, r.RefundNo, at)
			case r.Status == payment.RefundSucceeded && atAlipay && at != r.Amount:
				c.differ("%s/%s: %s in the books, %s at alipay", no, r.RefundNo, r.Amount, at)
			case r.Status == payment.RefundSucceeded && !atAlipay && r.RefundNo != "alipay_closed":
				c.differ("%s/%s: succeeded in the books, unknown at alipay", no, r.RefundNo)
			}
		}
		var askedSum payment.Amount
		for refundNo, a := range e.asked[no] {
			askedSum += a
			if byNo[refundNo] > a {
				c.overPaid++
				c.details = append(c.details, fmt.Sprintf("%s/%s: alipay refunded %s, asked %s", no, refundNo, byNo[refundNo], a))
			}
		}
		if cancelled := byNo[no]; cancelled > 0 && e.asked[no][no] == 0 {
			askedSum += cancelled // alipay.trade.cancel refunded a payment that raced a close
		}
		if alipayRefunded > askedSum+e.outside[no] {
			c.overPaid++
			c.details = append(c.details, fmt.Sprintf("%s: alipay refunded %s, asked %s + outside %s", no, alipayRefunded, askedSum, e.outside[no]))
		}
		e.checkEvents(&c, o, refunds)
	}
	return c
}

// checkEvents counts the order's events against its state: payment.succeeded once when
// paid, payment.closed once when closed (also before a late payment), one
// refund.succeeded or refund.failed per settled refund.
func (e *ledgerEnv) checkEvents(c *ledgerCounts, o *payment.Order, refunds []*payment.Refund) {
	es, err := e.store.ListOrderEvents(bg, o.OutTradeNo)
	if err != nil {
		e.t.Fatal(err)
	}
	got := map[string]int{}
	for _, ev := range es {
		key := ev.Type
		if strings.HasPrefix(ev.Type, "refund.") {
			key = ev.Key
		}
		got[key]++
	}
	want := map[string]int{}
	if o.Status == payment.StatusPaid || o.Status == payment.StatusRefunded {
		want[payment.EventPaymentSucceeded] = 1
	}
	if o.Status == payment.StatusClosed || o.Late {
		want[payment.EventPaymentClosed] = 1
	}
	for _, r := range refunds {
		switch r.Status {
		case payment.RefundSucceeded:
			want[payment.EventRefundSucceeded+":"+o.OutTradeNo+":"+r.RefundNo] = 1
		case payment.RefundFailed:
			want[payment.EventRefundFailed+":"+o.OutTradeNo+":"+r.RefundNo] = 1
		}
	}
	for k, n := range want {
		if got[k] < n {
			c.eventsMissing++
			c.details = append(c.details, fmt.Sprintf("%s: event %s missing", o.OutTradeNo, k))
		}
	}
	for k, n := range got {
		if n > want[k] {
			c.eventsDoubled++
			c.details = append(c.details, fmt.Sprintf("%s: event %s %d times, want %d", o.OutTradeNo, k, n, want[k]))
		}
	}
}
