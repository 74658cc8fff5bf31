package worker

import (
	"slices"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

var schedule = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}

// TestReconcilerSchedule: an unpaid order is queried at the schedule's times from creation,
// then every last step until expiry, then closed at Alipay (QR dead) and locally.
func TestReconcilerSchedule(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	o := e.create("rc_expire")
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock})
	created := o.CreatedAt
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute}
	for i, at := range want {
		if got := e.order("rc_expire").NextCheckAt; got == nil || !got.Equal(created.Add(at)) {
			t.Fatalf("check %d due at %v, want +%v", i+1, got, at)
		}
		clock.Add(created.Add(at).Sub(clock.Now()) - time.Millisecond)
		if n, _ := r.runOnce(bg); n != 0 {
			t.Fatalf("check %d ran early", i+1)
		}
		clock.Add(time.Millisecond)
		if n, err := r.runOnce(bg); n != 1 || err != nil {
			t.Fatalf("check %d: %d, %v", i+1, n, err)
		}
	}
	got := e.order("rc_expire")
	if got.Status != payment.StatusClosed || got.NextCheckAt != nil || got.ClosedAt == nil {
		t.Fatalf("after expiry: %+v", got)
	}
	if tr, ok := e.sb.Trade(e.appID, "rc_expire"); !ok || tr.QRActive {
		t.Fatalf("sandbox still accepts the QR: %+v", tr)
	}
	if _, err := e.sb.Pay(e.appID, "rc_expire", sandbox.OutcomeSuccess); err == nil {
		t.Fatal("the sandbox let a buyer pay the closed order")
	}
	if types := e.eventTypes("rc_expire"); !slices.Equal(types, []string{payment.EventPaymentClosed}) {
		t.Fatalf("events %v", types)
	}
}

// TestReconcilerFindsLostPayment: with every notification dropped, the reconciler's query
// records the payment, with one event.
func TestReconcilerFindsLostPayment(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	e.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyDrop: 1})
	e.create("rc_lost")
	e.pay("rc_lost")
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock})
	clock.Add(30 * time.Second)
	if n, err := r.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce: %d, %v", n, err)
	}
	clock.Add(time.Hour)
	r.runOnce(bg)
	if o := e.order("rc_lost"); o.Status != payment.StatusPaid || o.Late || o.NextCheckAt != nil || o.TradeNo == "" {
		t.Fatalf("order %+v", o)
	}
	if types := e.eventTypes("rc_lost"); !slices.Equal(types, []string{payment.EventPaymentSucceeded}) {
		t.Fatalf("events %v", types)
	}
}

// TestLatePaymentRefunded: Alipay cannot be reached to close an expired order, so it is
// closed locally; the buyer then pays; the payment is recorded late and, with
// late_payment=refund, refunded automatically, each step with its event.
func TestLatePaymentRefunded(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock, latePayment: payment.LatePaymentRefund})
	e.create("rc_late")
	if _, err := e.sb.Scan(e.appID, "rc_late"); err != nil {
		t.Fatal(err)
	}
	e.sb.SetFaults(sandbox.Faults{Seed: 1, GatewaySystemError: 1, Methods: []string{"alipay.trade.close", "alipay.trade.cancel"}})
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock})
	clock.Add(15 * time.Minute)
	r.runOnce(bg) // close fails: retried until the last step past expiry
	if o := e.order("rc_late"); o.Status != payment.StatusPending {
		t.Fatalf("closed locally at once: %+v", o)
	}
	clock.Add(5 * time.Minute)
	r.runOnce(bg)
	o := e.order("rc_late")
	if o.Status != payment.StatusClosed || o.NextCheckAt == nil {
		t.Fatalf("after the grace: %+v, want closed with a final check", o)
	}
	e.sb.ClearFaults()
	e.pay("rc_late") // the notification reaches the gateway
	waitFor(t, "late payment recorded", func() bool { return e.order("rc_late").Status == payment.StatusPaid })
	if o := e.order("rc_late"); !o.Late {
		t.Fatalf("not late: %+v", o)
	}
	r.runOnce(bg) // the automatic refund is due now
	o = e.order("rc_late")
	if o.Status != payment.StatusRefunded || o.RefundedAmount != o.TotalAmount {
		t.Fatalf("after reconcile: %+v", o)
	}
	rf, err := e.store.GetRefund(bg, "rc_late", "late-rc_late")
	if err != nil || rf.Status != payment.RefundSucceeded {
		t.Fatalf("refund %+v, %v", rf, err)
	}
	if tr, _ := e.sb.Trade(e.appID, "rc_late"); tr.RefundedAmount != "9.90" {
		t.Fatalf("sandbox refunded %s", tr.RefundedAmount)
	}
	want := []string{payment.EventPaymentClosed, payment.EventPaymentSucceeded, payment.EventRefundSucceeded}
	if types := e.eventTypes("rc_late"); !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
}

// TestPendingRefundResolved: a refund whose outcome was unknown is resolved by the
// reconciler's refund query, never sent again: while the query fails it is rescheduled;
// once the query, asked more than 10 s after the attempt, finds no such refund, it is
// failed with refund.failed and Alipay refunded nothing (docs/decisions.md, "A refund with
// an unknown answer").
func TestPendingRefundResolved(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	e.create("rc_refund")
	e.pay("rc_refund")
	if _, err := e.svc.Sync(bg, "rc_refund"); err != nil {
		t.Fatal(err)
	}
	e.sb.SetFaults(sandbox.Faults{Seed: 1, GatewaySystemError: 1, Methods: []string{"alipay.trade.refund", "alipay.trade.fastpay.refund.query"}})
	_, err := e.svc.Refund(bg, e.clientID, payment.RefundInput{OutTradeNo: "rc_refund", RefundNo: "r1", Amount: 500})
	if payment.ErrorCode(err) != payment.CodeUpstreamUnavailable {
		t.Fatalf("refund under faults: %v", err)
	}
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock})
	clock.Add(time.Minute)
	r.runOnce(bg) // still failing: rescheduled
	if rf, _ := e.store.GetRefund(bg, "rc_refund", "r1"); rf.Status != payment.RefundPending || rf.CheckCount != 1 {
		t.Fatalf("refund %+v", rf)
	}
	e.sb.ClearFaults()
	clock.Add(time.Minute)
	if n, _ := r.runOnce(bg); n != 1 {
		t.Fatal("refund not claimed")
	}
	rf, _ := e.store.GetRefund(bg, "rc_refund", "r1")
	if rf.Status != payment.RefundFailed || rf.NextCheckAt != nil {
		t.Fatalf("refund %+v", rf)
	}
	if o := e.order("rc_refund"); o.RefundedAmount != 0 || o.Status != payment.StatusPaid {
		t.Fatalf("order %+v", o)
	}
	if tr, _ := e.sb.Trade(e.appID, "rc_refund"); tr.RefundedAmount != "0.00" {
		t.Fatalf("sandbox refunded %s, want nothing", tr.RefundedAmount)
	}
	if types := e.eventTypes("rc_refund"); !slices.Equal(types, []string{payment.EventPaymentSucceeded, payment.EventRefundFailed}) {
		t.Fatalf("events %v", types)
	}
}

// TestUnknownPrecreateExpires: an order whose precreate timed out (no QR) is closed at
// expiry through cancel, so a QR Alipay may have issued dies too.
func TestUnknownPrecreateExpires(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	e.sb.SetFaults(sandbox.Faults{Seed: 1, GatewaySystemError: 1, Methods: []string{"alipay.trade.precreate"}})
	_, _, err := e.svc.Create(bg, e.clientID, payment.CreateRequest{OutTradeNo: "rc_noqr", TotalAmount: 100, Subject: "s"})
	if payment.ErrorCode(err) != payment.CodeUpstreamUnavailable {
		t.Fatalf("create: %v", err)
	}
	e.sb.ClearFaults()
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock})
	clock.Add(15 * time.Minute)
	r.runOnce(bg)
	if o := e.order("rc_noqr"); o.Status != payment.StatusClosed || o.QRCode != "" {
		t.Fatalf("order %+v", o)
	}
}

// TestReconcilerPassTraced: a pass that claimed an order is a span with the order's Alipay
// query and transaction below it; an idle pass makes none.
func TestReconcilerPassTraced(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	e.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyDrop: 1})
	e.create("rc_traced")
	e.pay("rc_traced")
	rec := tracetest.NewSpanRecorder()
	r := NewReconciler(e.svc, ReconcilerConfig{Clock: clock, TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))})
	if n, _ := r.runOnce(bg); n != 0 || len(rec.Ended()) != 0 {
		t.Fatalf("an idle pass claimed %d and made %d spans", n, len(rec.Ended()))
	}
	clock.Add(30 * time.Second)
	if n, err := r.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce: %d, %v", n, err)
	}
	pass := spanNamed(t, rec, "reconciler.pass")
	if a := spanAttrs(pass); a["f2fpay.orders"] != "1" || a["f2fpay.refunds"] != "0" {
		t.Errorf("pass attributes %v", a)
	}
	var names []string
	for _, s := range rec.Ended() {
		if s.Parent().SpanID() == pass.SpanContext().SpanID() {
			names = append(names, s.Name())
		}
	}
	if !slices.Contains(names, "alipay.trade.query") || !slices.Contains(names, "db.transaction") {
		t.Fatalf("children of the pass: %v; want the order's query and its transaction", names)
	}
}
