package payment_test

// Refunds whose first answer was lost: Alipay's refund query, asked at least the refund
// query delay after the last attempt, is the only thing that may fail them
// (docs/decisions.md, "A refund with an unknown answer").

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// stepClock is the system clock moved forward by what the test adds.
type stepClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// newClockedEnv is newReviewEnv on a clock the test moves.
func newClockedEnv(t *testing.T, clk payment.Clock) *reviewEnv {
	t.Helper()
	e := &reviewEnv{t: t}
	st := testenv.New(t, testenv.Options{Clock: clk, ChannelTimeout: 400 * time.Millisecond,
		Config: payment.Config{ConfirmWithQuery: true}})
	e.store, e.svc, e.ch, e.sb, e.appID = st.Store, st.Service, st.Channel, st.Sandbox, st.AppID
	c, _, err := e.svc.CreateMerchant(rbg, "money", "")
	if err != nil {
		t.Fatal(err)
	}
	e.clientID = c.AppID
	return e
}

// paid creates an order of amount fen and pays it at the sandbox, waiting for the payment.
func (e *reviewEnv) paid(no string, amount payment.Amount) {
	e.t.Helper()
	if _, _, err := e.svc.Create(rbg, e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: amount, Subject: "money"}); err != nil {
		e.t.Fatalf("create: %v", err)
	}
	if _, err := e.sb.Pay(e.appID, no, sandbox.OutcomeSuccess); err != nil {
		e.t.Fatalf("sandbox pay: %v", err)
	}
	testutil.WaitFor(e.t, 0, "payment recorded", func() bool { return e.order(no).Status == payment.StatusPaid })
}

// countEvents counts the order's events by type.
func (e *reviewEnv) countEvents(no string) map[string]int {
	e.t.Helper()
	es, err := e.store.ListOrderEvents(rbg, no)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range es {
		out[ev.Type]++
	}
	return out
}

// TestRefundRepeatRefusedAtGatewayStaysPending: R1 (4.00 of 10.00) is carried out but its
// answer is lost; the merchant's repeat is refused at the gateway (40005
// isv.app-call-limited, before any idempotency check). R1 must stay pending, so that the
// merchant is never told to refund again, and the reconciler then finds it done.
func TestRefundRepeatRefusedAtGatewayStaysPending(t *testing.T) {
	e := newClockedEnv(t, &stepClock{})
	const no = "money_repeat"
	e.paid(no, 1000)
	quiet := map[string]bool{"REFUND": false}
	e.sb.SetFaults(sandbox.Faults{Seed: 1, GatewayTimeout: 1, NotifyStates: quiet,
		Methods: []string{"alipay.trade.refund", "alipay.trade.fastpay.refund.query"}})
	in := payment.RefundInput{OutTradeNo: no, RefundNo: "R1", Amount: 400}
	if _, err := e.svc.Refund(rbg, e.clientID, in); !payment.IsUnknownOutcome(err) {
		t.Fatalf("R1: want an unknown outcome, got %v", err)
	}
	e.sb.SetFaults(sandbox.Faults{Seed: 1, GatewayReject: 1, GatewayRejectCode: "40005",
		GatewayRejectSubCode: "isv.app-call-limited", NotifyStates: quiet, Methods: []string{"alipay.trade.refund"}})
	_, err := e.svc.Refund(rbg, e.clientID, in)
	t.Logf("repeat of R1 answered: %v", err)
	if r := e.refund(no, "R1"); r.Status != payment.RefundPending {
		t.Fatalf("R1 is %s after a gateway-level refusal of its repeat; Alipay refunded it (want pending)", r.Status)
	}
	if n := e.countEvents(no)[payment.EventRefundFailed]; n != 0 {
		t.Fatalf("refund.failed sent %d times for a refund Alipay carried out", n)
	}
	e.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyStates: quiet})
	if err := e.svc.ReconcileRefund(rbg, e.refund(no, "R1")); err != nil {
		t.Fatal(err)
	}
	tr, _ := e.sb.Trade(e.appID, no)
	if r := e.refund(no, "R1"); r.Status != payment.RefundSucceeded || tr.RefundedAmount != "4.00" || e.order(no).RefundedAmount != 400 {
		t.Fatalf("R1 %s, Alipay refunded %s, books %s", r.Status, tr.RefundedAmount, e.order(no).RefundedAmount)
	}
}

// TestRefundFailsOnlyAfterQueryDelay: a first attempt with an unknown answer that Alipay
// never carried out (20000, nothing done) is failed only by a refund query asked at least
// 10 s after the attempt, never by one asked sooner, and it is not sent again.
func TestRefundFailsOnlyAfterQueryDelay(t *testing.T) {
	clk := &stepClock{}
	e := newClockedEnv(t, clk)
	const no = "money_delay"
	e.paid(no, 1000)
	e.sb.SetFaults(sandbox.Faults{Seed: 1, GatewaySystemError: 1,
		Methods: []string{"alipay.trade.refund", "alipay.trade.fastpay.refund.query"}})
	if _, err := e.svc.Refund(rbg, e.clientID, payment.RefundInput{OutTradeNo: no, RefundNo: "R3", Amount: 300}); !payment.IsUnknownOutcome(err) {
		t.Fatalf("R3: want an unknown outcome, got %v", err)
	}
	e.sb.ClearFaults()
	clk.advance(5 * time.Second)
	if err := e.svc.ReconcileRefund(rbg, e.refund(no, "R3")); err != nil {
		t.Fatal(err)
	}
	if r := e.refund(no, "R3"); r.Status != payment.RefundPending {
		t.Fatalf("R3 is %s after a refund query 5 s after its attempt (want pending until 10 s)", r.Status)
	}
	clk.advance(6 * time.Second)
	if err := e.svc.ReconcileRefund(rbg, e.refund(no, "R3")); err != nil {
		t.Fatal(err)
	}
	r := e.refund(no, "R3")
	tr, _ := e.sb.Trade(e.appID, no)
	if r.Status != payment.RefundFailed || tr.RefundedAmount != "0.00" || e.countEvents(no)[payment.EventRefundFailed] != 1 {
		t.Fatalf("R3 %s (%s), Alipay refunded %s; want failed once, nothing refunded", r.Status, r.FailureReason, tr.RefundedAmount)
	}
	if !strings.Contains(r.FailureReason, "refund.query") {
		t.Errorf("failure reason %q does not say the refund query decided", r.FailureReason)
	}
}
