package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/smartwalle/alipay/v3"
)

// authCode makes a payment code through the control API, as a test outside would.
func newCode(t *testing.T, b *bundle, behaviour string) string {
	t.Helper()
	c, err := b.sb.NewAuthCode(behaviour, "")
	if err != nil {
		t.Fatal(err)
	}
	return c.AuthCode
}

func barPay(no, amount, code string) alipay.TradePay {
	p := alipay.TradePay{Scene: "bar_code", AuthCode: code}
	p.OutTradeNo, p.TotalAmount, p.Subject, p.ProductCode = no, amount, "条码商品", "FACE_TO_FACE_PAYMENT"
	return p
}

// TestTradePayPaysAtOnce: a "pay" code → 10000 with the payment, the trade is
// TRADE_SUCCESS, the notification verifies with the SDK, and the code is single use.
func TestTradePayPaysAtOnce(t *testing.T) {
	b := setup(t, Config{})
	code := newCode(t, b, BehaviourPay)
	p := barPay("BP1", "12.50", code)
	p.NotifyURL, p.StoreId, p.TerminalId, p.OperatorId = b.notify.URL, "S1", "T1", "op1"
	r, err := b.client.TradePay(ctx, p)
	if err != nil || r.Code != "10000" || len(r.TradeNo) != 28 || r.TotalAmount != "12.50" || r.BuyerPayAmount != "12.50" ||
		r.GmtPayment != b.clock.Now().In(shanghai).Format(alipayTimeLayout) || len(r.FundBillList) != 1 {
		t.Fatalf("pay: %v %+v", err, r)
	}
	q, err := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "BP1"})
	if err != nil || q.TradeStatus != alipay.TradeStatusSuccess || q.TradeNo != r.TradeNo || q.StoreId != "S1" || q.TerminalId != "T1" {
		t.Fatalf("query: %v %+v", err, q)
	}
	b.sb.runNotifyOnce()
	f := b.notify.received()
	if len(f) != 1 {
		t.Fatalf("%d notifications", len(f))
	}
	n, err := b.client.DecodeNotification(ctx, f[0])
	if err != nil || n.TradeStatus != alipay.TradeStatusSuccess || n.OutTradeNo != "BP1" || n.TotalAmount != "12.50" {
		t.Fatalf("notification: %v %+v", err, n)
	}
	r, err = b.client.TradePay(ctx, barPay("BP2", "1.00", code))
	if err != nil || r.SubCode != "ACQ.PAYMENT_AUTH_CODE_INVALID" {
		t.Fatalf("code used twice: %v %+v", err, r)
	}
	if tr, _ := b.sb.Trade(testAppID, "BP1"); tr.Kind != kindBarcode || tr.QRActive || tr.QRCode != "" {
		t.Fatalf("barcode trade: %+v", tr)
	}
}

// TestTradePayPasswordThenConfirm: a "password" code → 10003 (Alipay's text), the trade
// exists WAIT_BUYER_PAY; the buyer confirms → TRADE_SUCCESS with a notification; the
// same trade.pay again → ACQ.TRADE_HAS_SUCCESS carrying the trade.
func TestTradePayPasswordThenConfirm(t *testing.T) {
	b := setup(t, Config{})
	code := newCode(t, b, BehaviourPassword)
	p := barPay("PW1", "8.00", code)
	p.NotifyURL = b.notify.URL
	r, err := b.client.TradePay(ctx, p)
	if err != nil || r.Code != "10003" || r.Msg != " order success pay inprocess" || r.TradeNo == "" || r.BuyerPayAmount != "0.00" || r.TotalAmount != "8.00" {
		t.Fatalf("pay: %v %+v", err, r)
	}
	if q, _ := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "PW1"}); q.TradeStatus != alipay.TradeStatusWaitBuyerPay {
		t.Fatalf("query while waiting: %+v", q)
	}
	again, err := b.client.TradePay(ctx, p)
	if err != nil || again.Code != "10003" || again.TradeNo != r.TradeNo {
		t.Fatalf("repeat while waiting: %v %+v", err, again)
	}
	b.clock.Advance(5 * time.Second)
	resp := postJSON(t, b.srv.URL+"/sandbox/api/auth-codes/"+code+"/confirm", ``)
	if resp.StatusCode != 200 {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	q, _ := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "PW1"})
	if q.TradeStatus != alipay.TradeStatusSuccess || q.SendPayDate != b.clock.Now().In(shanghai).Format(alipayTimeLayout) {
		t.Fatalf("query after confirm: %+v", q)
	}
	b.sb.runNotifyOnce()
	if f := b.notify.received(); len(f) != 1 || f[0].Get("trade_status") != "TRADE_SUCCESS" || f[0].Get("out_trade_no") != "PW1" {
		t.Fatalf("notifications: %v", f)
	}
	again, err = b.client.TradePay(ctx, p)
	if err != nil || again.SubCode != "ACQ.TRADE_HAS_SUCCESS" || again.TradeNo != r.TradeNo || again.TotalAmount != "8.00" {
		t.Fatalf("repeat after paid: %v %+v", err, again)
	}
	if again, _ := b.client.TradePay(ctx, barPay("PW1", "8.01", code)); again.SubCode != "ACQ.TRADE_HAS_SUCCESS" {
		t.Fatalf("repeat of a paid number, other amount: %+v", again)
	}
}

// TestTradePayPasswordThenCancel: the buyer does not confirm; the till cancels →
// action close, TRADE_CLOSED; a paid barcode trade cancelled → action refund, in full.
func TestTradePayPasswordThenCancel(t *testing.T) {
	b := setup(t, Config{})
	code := newCode(t, b, BehaviourPassword)
	if r, _ := b.client.TradePay(ctx, barPay("PC1", "3.00", code)); r.Code != "10003" {
		t.Fatalf("pay: %+v", r)
	}
	if tr, err := b.sb.ConfirmAuthCode(code, OutcomeCancel); err != nil || tr.Status != StatusWaitBuyerPay {
		t.Fatalf("buyer cancels: %v %+v", err, tr)
	}
	c, err := b.client.TradeCancel(ctx, tradeCancel("PC1"))
	if err != nil || c.Action != "close" || c.RetryFlag != "N" || c.TradeNo == "" {
		t.Fatalf("cancel unpaid: %v %+v", err, c)
	}
	if q, _ := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "PC1"}); q.TradeStatus != alipay.TradeStatusClosed {
		t.Fatalf("after cancel: %+v", q)
	}
	if _, err := b.sb.ConfirmAuthCode(code, ""); !errors.Is(err, ErrState) {
		t.Fatalf("confirm after cancel: %v", err)
	}
	if r, _ := b.client.TradePay(ctx, barPay("PC1", "3.00", newCode(t, b, BehaviourPay))); r.SubCode != "ACQ.TRADE_HAS_CLOSE" {
		t.Fatalf("pay a cancelled number: %+v", r)
	}
	if r, _ := b.client.TradePay(ctx, barPay("PC2", "4.00", newCode(t, b, BehaviourPay))); r.Code != "10000" {
		t.Fatalf("pay: %+v", r)
	}
	c, err = b.client.TradeCancel(ctx, tradeCancel("PC2"))
	if err != nil || c.Action != "refund" {
		t.Fatalf("cancel paid: %v %+v", err, c)
	}
	if tr, _ := b.sb.Trade(testAppID, "PC2"); tr.Status != StatusTradeClosed || tr.RefundedAmount != "4.00" {
		t.Fatalf("after cancel of a paid trade: %+v", tr)
	}
	// cancelled before trade.pay ever arrived: the late pay finds the number dead
	if c, _ := b.client.TradeCancel(ctx, tradeCancel("PC3")); c.Code != "10000" || c.Action != "" {
		t.Fatalf("cancel unseen: %+v", c)
	}
	if r, _ := b.client.TradePay(ctx, barPay("PC3", "1.00", newCode(t, b, BehaviourPay))); r.SubCode != "ACQ.TRADE_HAS_CLOSE" {
		t.Fatalf("late pay after cancel: %+v", r)
	}
}

// TestTradePayRefusals: Alipay's refusals create no trade.
func TestTradePayRefusals(t *testing.T) {
	b := setup(t, Config{})
	expired := newCode(t, b, BehaviourPay)
	b.clock.Advance(authCodeLife)
	for name, tc := range map[string]struct {
		p   alipay.TradePay
		sub string
	}{
		"insufficient balance": {barPay("RF1", "1.00", newCode(t, b, BehaviourInsufficientBalance)), "ACQ.BUYER_BALANCE_NOT_ENOUGH"},
		"unknown code":         {barPay("RF2", "1.00", "281234567890123456"), "ACQ.PAYMENT_AUTH_CODE_INVALID"},
		"expired code":         {barPay("RF3", "1.00", expired), "ACQ.PAYMENT_AUTH_CODE_INVALID"},
		"malformed code":       {barPay("RF4", "1.00", "28abc"), "ACQ.PAYMENT_AUTH_CODE_INVALID"},
		"scene":                {alipay.TradePay{Trade: barPay("RF5", "1.00", "").Trade, Scene: "face", AuthCode: "28"}, "ACQ.INVALID_PARAMETER"},
		"amount":               {barPay("RF6", "0.001", newCode(t, b, BehaviourPay)), "ACQ.INVALID_PARAMETER"},
	} {
		r, err := b.client.TradePay(ctx, tc.p)
		if err != nil || r.Code != "40004" || r.SubCode != tc.sub {
			t.Errorf("%s: %v %+v", name, err, r)
		}
		if q, _ := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: tc.p.OutTradeNo}); q.SubCode != "ACQ.TRADE_NOT_EXIST" {
			t.Errorf("%s left a trade: %+v", name, q)
		}
	}
	code := newCode(t, b, BehaviourPassword)
	b.client.TradePay(ctx, barPay("RF7", "2.00", code))
	if r, _ := b.client.TradePay(ctx, barPay("RF7", "2.50", code)); r.SubCode != "ACQ.CONTEXT_INCONSISTENT" {
		t.Fatalf("repeat with another amount: %+v", r)
	}
	precreate(t, b, "RF8", "1.00")
	if r, _ := b.client.TradePay(ctx, barPay("RF8", "1.00", newCode(t, b, BehaviourPay))); r.SubCode != "ACQ.CONTEXT_INCONSISTENT" {
		t.Fatalf("trade.pay on a QR order's number: %+v", r)
	}
}

// TestTradePayFaults: every gateway knob applies to alipay.trade.pay.
func TestTradePayFaults(t *testing.T) {
	b := setup(t, Config{})
	only := []string{"alipay.trade.pay"}
	code := newCode(t, b, BehaviourPay)
	b.sb.SetFaults(Faults{GatewayReject: 1, Methods: only})
	if _, err := b.client.TradePay(ctx, barPay("FP1", "1.00", code)); err == nil {
		t.Fatal("rejection answered as success")
	}
	b.sb.SetFaults(Faults{GatewaySystemError: 1, Methods: only})
	if r, _ := b.client.TradePay(ctx, barPay("FP1", "1.00", code)); r.Code != "20000" && r.SubCode != "ACQ.SYSTEM_ERROR" {
		t.Fatalf("system error: %+v", r)
	}
	if _, ok := b.sb.Trade(testAppID, "FP1"); ok {
		t.Fatal("a rejected or failed trade.pay was carried out")
	}
	b.sb.SetFaults(Faults{GatewaySystemErrorApplied: 1, Methods: only})
	if r, _ := b.client.TradePay(ctx, barPay("FP1", "1.00", code)); r.Code != "20000" && r.SubCode != "ACQ.SYSTEM_ERROR" {
		t.Fatalf("applied system error: %+v", r)
	}
	if tr, _ := b.sb.Trade(testAppID, "FP1"); tr == nil || tr.Status != StatusTradeSuccess {
		t.Fatalf("the code (unused by the refused calls) did not pay: %+v", tr)
	}
	b.sb.SetFaults(Faults{GatewayTimeout: 1, Methods: only})
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := b.client.TradePay(cctx, barPay("FP2", "1.00", newCode(t, b, BehaviourPay))); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	testutil.WaitFor(t, 0, "the timed-out trade.pay carried out", func() bool {
		tr, ok := b.sb.Trade(testAppID, "FP2")
		return ok && tr.Status == StatusTradeSuccess
	})
}
