package payment_test

// What a query or a cancel says about a trade that was paid and then refunded in full at
// Alipay: the payment and the refund are both recorded (docs/decisions.md, "A trade paid,
// then refunded in full at Alipay").

import (
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestSyncOfTradeRefundedOutside: the buyer pays, every notification is lost, and the
// merchant refunds the whole trade in Alipay's portal. alipay.trade.query then answers
// TRADE_CLOSED with send_pay_date: the order is refunded, not "never paid".
func TestSyncOfTradeRefundedOutside(t *testing.T) {
	e := newClockedEnv(t, &stepClock{})
	const no = "money_outside_full"
	if _, _, err := e.svc.Create(rbg, e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 1000, Subject: "money"}); err != nil {
		t.Fatal(err)
	}
	e.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyDrop: 1})
	if _, err := e.sb.Pay(e.appID, no, sandbox.OutcomeSuccess); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.OutsideRefund(e.appID, no, "10.00", ""); err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.Sync(rbg, no)
	if err != nil {
		t.Fatal(err)
	}
	ev := e.countEvents(no)
	t.Logf("order %s paid_at %v refunded %s; events %v", o.Status, o.PaidAt, o.RefundedAmount, ev)
	if o.Status != payment.StatusRefunded || o.PaidAt == nil || o.RefundedAmount != 1000 {
		t.Fatalf("order is %s (paid_at %v, refunded %s); Alipay was paid 10.00 and refunded it", o.Status, o.PaidAt, o.RefundedAmount)
	}
	if ev[payment.EventPaymentSucceeded] != 1 || ev[payment.EventRefundSucceeded] != 1 || ev[payment.EventPaymentClosed] != 0 {
		t.Fatalf("events %v; want payment.succeeded and refund.succeeded once each", ev)
	}
}

// TestCloseRaceCancelRefunds: the merchant closes the order just as the buyer pays, and
// alipay.trade.cancel refunds the payment (action=refund). The payment's TRADE_SUCCESS
// notification arrives afterwards. The order ends refunded with payment.succeeded then
// refund.succeeded, once each; never "paid (late)" without its refund.
func TestCloseRaceCancelRefunds(t *testing.T) {
	e := newClockedEnv(t, &stepClock{})
	const no = "money_cancel_race"
	if _, _, err := e.svc.Create(rbg, e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 1000, Subject: "money"}); err != nil {
		t.Fatal(err)
	}
	// The payment's notification is held back; the refund's TRADE_CLOSED one is lost.
	e.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyDelayMS: 1500, NotifyStates: map[string]bool{"TRADE_CLOSED": false}})
	if _, err := e.sb.Pay(e.appID, no, sandbox.OutcomeSuccess); err != nil {
		t.Fatal(err)
	}
	// alipay.trade.close still saw no trade (the buyer had not scanned when it ran), so
	// the channel cancels, and the cancel finds the trade paid.
	e.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyDelayMS: 1500, NotifyStates: map[string]bool{"TRADE_CLOSED": false},
		GatewayReject: 1, GatewayRejectCode: "40004", GatewayRejectSubCode: "ACQ.TRADE_NOT_EXIST",
		Methods: []string{"alipay.trade.close"}})
	_, err := e.svc.Close(rbg, e.clientID, no)
	t.Logf("close answered: %v", err)
	testutil.WaitFor(t, 30*time.Second, "the payment's notification answered", func() bool {
		for _, a := range e.sb.Notifications(no) {
			if a.TradeStatus == "TRADE_SUCCESS" && a.Success {
				return true
			}
		}
		return false
	})
	o := e.order(no)
	ev := e.countEvents(no)
	tr, _ := e.sb.Trade(e.appID, no)
	t.Logf("alipay %s refunded %s; order %s late=%v refunded %s; events %v", tr.Status, tr.RefundedAmount, o.Status, o.Late, o.RefundedAmount, ev)
	if o.Status != payment.StatusRefunded || o.RefundedAmount != 1000 {
		t.Fatalf("order is %s (late=%v, refunded %s); Alipay's cancel refunded the payment in full", o.Status, o.Late, o.RefundedAmount)
	}
	if ev[payment.EventPaymentSucceeded] != 1 || ev[payment.EventRefundSucceeded] != 1 {
		t.Fatalf("events %v; want payment.succeeded and refund.succeeded once each", ev)
	}
	es, _ := e.store.ListOrderEvents(rbg, no)
	var order []string
	for _, x := range es {
		if x.Type != payment.EventPaymentClosed {
			order = append(order, x.Type)
		}
	}
	if len(order) != 2 || order[0] != payment.EventPaymentSucceeded {
		t.Fatalf("events in order %v; want payment.succeeded first", order)
	}
}
