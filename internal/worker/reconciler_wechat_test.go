package worker

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// The reconciler's guarantees for WeChat Pay orders, against the WeChat sandbox.

func (e *env) createWeChat(no string) *payment.Order {
	e.t.Helper()
	o, _, err := e.svc.Create(bg, e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 990, Subject: "worker test",
		Channel: payment.ChannelWeChat})
	if err != nil {
		e.t.Fatalf("create %s: %v", no, err)
	}
	return o
}

// payWeChat pays an order as a buyer at the WeChat sandbox.
func (e *env) payWeChat(no string) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"mchid": e.wx.WeChatMchID, "out_trade_no": no})
	resp, err := http.Post(e.wx.WeChatURL+"/sandbox/wechat/api/pay", "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 {
		e.t.Fatalf("wechat sandbox pay %s: %d %s", no, resp.StatusCode, body)
	}
}

// TestWeChatReconcilerFindsLostPayment: every WeChat notification dropped, the reconciler's
// query records the payment, with one event.
func TestWeChatReconcilerFindsLostPayment(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock, wechat: true})
	e.wx.WeChatSandbox.SetFaults(wechat.Faults{Seed: 1, NotifyDrop: 1})
	o := e.createWeChat("wxrc_lost")
	if o.Channel != payment.ChannelWeChat || o.QRCode == "" {
		t.Fatalf("created %+v", o)
	}
	e.payWeChat("wxrc_lost")
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock})
	clock.Add(30 * time.Second)
	if n, err := r.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce: %d, %v", n, err)
	}
	if o := e.order("wxrc_lost"); o.Status != payment.StatusPaid || o.Late || o.NextCheckAt != nil || o.TradeNo == "" {
		t.Fatalf("order %+v", o)
	}
	if types := e.eventTypes("wxrc_lost"); !slices.Equal(types, []string{payment.EventPaymentSucceeded}) {
		t.Fatalf("events %v", types)
	}
}

// TestWeChatReconcilerExpires: an unpaid WeChat order is closed at WeChat Pay at its expiry
// (its code_url dies) and locally.
func TestWeChatReconcilerExpires(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock, wechat: true})
	e.createWeChat("wxrc_expire")
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock})
	clock.Add(15 * time.Minute)
	r.runOnce(bg)
	if o := e.order("wxrc_expire"); o.Status != payment.StatusClosed || o.NextCheckAt != nil {
		t.Fatalf("after expiry %+v", o)
	}
	if tr := e.wx.WeChatSandbox.Trades(e.wx.WeChatMchID, "wxrc_expire"); len(tr) != 1 || tr[0].State != "CLOSED" {
		t.Fatalf("sandbox trade %+v", tr)
	}
	if types := e.eventTypes("wxrc_expire"); !slices.Equal(types, []string{payment.EventPaymentClosed}) {
		t.Fatalf("events %v", types)
	}
}

// TestWeChatLatePaymentRefunded: WeChat Pay cannot be reached to close an expired order, so
// it is closed locally; the buyer then pays; the payment is recorded late and, with
// late_payment=refund, refunded in full (WeChat Pay settles it after PROCESSING), each
// step with its event.
func TestWeChatLatePaymentRefunded(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock, wechat: true, latePayment: payment.LatePaymentRefund})
	e.createWeChat("wxrc_late")
	e.wx.WeChatSandbox.SetFaults(wechat.Faults{Seed: 1, GatewaySystemError: 1, Methods: []string{"close"}})
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock})
	clock.Add(15 * time.Minute)
	r.runOnce(bg) // close fails: retried until the last step past expiry
	if o := e.order("wxrc_late"); o.Status != payment.StatusPending {
		t.Fatalf("closed locally at once: %+v", o)
	}
	clock.Add(5 * time.Minute)
	r.runOnce(bg)
	if o := e.order("wxrc_late"); o.Status != payment.StatusClosed || o.NextCheckAt == nil {
		t.Fatalf("after the grace: %+v, want closed with a final check", o)
	}
	e.wx.WeChatSandbox.ClearFaults()
	e.payWeChat("wxrc_late") // TRANSACTION.SUCCESS reaches the gateway
	testutil.WaitFor(t, 0, "the late payment", func() bool { return e.order("wxrc_late").Status == payment.StatusPaid })
	if o := e.order("wxrc_late"); !o.Late {
		t.Fatalf("not late: %+v", o)
	}
	r.runOnce(bg) // the automatic refund is due now: WeChat Pay answers PROCESSING
	rf, err := e.store.GetRefund(bg, "wxrc_late", "late-wxrc_late")
	if err != nil || rf.Status != payment.RefundPending {
		t.Fatalf("refund after the first attempt %+v, %v", rf, err)
	}
	// The sandbox settles it (5 s) and notifies REFUND.SUCCESS.
	testutil.WaitFor(t, 0, "the refund to settle", func() bool { return e.order("wxrc_late").Status == payment.StatusRefunded })
	want := []string{payment.EventPaymentClosed, payment.EventPaymentSucceeded, payment.EventRefundSucceeded}
	if types := e.eventTypes("wxrc_late"); !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
}
