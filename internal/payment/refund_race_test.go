package payment_test

// Refund races a review found: a refund reported failed must never reach Alipay again, and a
// refund made outside f2fpay is recorded at its own amount. They run the real core on
// SQLite, the real alipay channel and the sandbox.

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"

	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

var rbg = context.Background()

type reviewEnv struct {
	t        *testing.T
	store    *sqlite.Store
	svc      *payment.Service
	ch       *alipay.Channel
	sb       *sandbox.Sandbox
	appID    string
	clientID string
}

// newReviewEnv wires SQLite, the sandbox, the alipay channel (short timeout, so a sandbox
// "gateway_timeout" fault gives an unknown outcome quickly) and the Service with its notify
// endpoint. wrap, when not nil, wraps the channel the Service uses.
func newReviewEnv(t *testing.T, wrap func(payment.Channel) payment.Channel) *reviewEnv {
	t.Helper()
	e := &reviewEnv{t: t}
	st := testenv.New(t, testenv.Options{ChannelTimeout: 400 * time.Millisecond, WrapChannel: wrap,
		Config: payment.Config{ConfirmWithQuery: true}})
	e.store, e.svc, e.ch, e.sb, e.appID = st.Store, st.Service, st.Channel, st.Sandbox, st.AppID
	c, _, err := e.svc.CreateMerchant(rbg, "review", "")
	if err != nil {
		t.Fatal(err)
	}
	e.clientID = c.AppID
	return e
}

// paidOrder creates an order of 9.90, pays it in the sandbox and waits for the gateway to
// record the payment from Alipay's notification.
func (e *reviewEnv) paidOrder(no string) {
	e.t.Helper()
	if _, _, err := e.svc.Create(rbg, e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 990, Subject: "review"}); err != nil {
		e.t.Fatalf("create: %v", err)
	}
	if _, err := e.sb.Pay(e.appID, no, sandbox.OutcomeSuccess); err != nil {
		e.t.Fatalf("sandbox pay: %v", err)
	}
	e.waitFor("payment recorded", func() bool { return e.order(no).Status == payment.StatusPaid })
}

func (e *reviewEnv) order(no string) *payment.Order {
	e.t.Helper()
	o, err := e.store.GetOrder(rbg, no)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *reviewEnv) refund(no, refundNo string) *payment.Refund {
	e.t.Helper()
	r, err := e.store.GetRefund(rbg, no, refundNo)
	if err != nil {
		e.t.Fatalf("refund %s: %v", refundNo, err)
	}
	return r
}

func (e *reviewEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	testutil.WaitFor(e.t, 0, what, cond)
}

// TestExternalRefundRecordedAtItsOwnAmount: a refund made outside f2fpay is recorded
// with amount = notification refund_fee (Alipay's CUMULATIVE total) minus the locally
// recorded refunded_amount. When one of f2fpay's own refunds has already succeeded at Alipay
// but is still pending locally (its call timed out), that refund is counted twice: once
// inside the external refund's amount and again when it completes. refunded_amount ends
// above the total and above what Alipay refunded.
func TestExternalRefundRecordedAtItsOwnAmount(t *testing.T) {
	e := newReviewEnv(t, nil)
	const no = "review_ext_refund"
	e.paidOrder(no)

	// Our refund A of 5.00: Alipay performs it, but both the refund call and the confirming
	// refund query time out, so it stays pending here. Its partial-refund notification is
	// switched off so that only the reconciler settles it.
	e.sb.SetFaults(sandbox.Faults{Seed: 1, GatewayTimeout: 1,
		Methods:      []string{"alipay.trade.refund", "alipay.trade.fastpay.refund.query"},
		NotifyStates: map[string]bool{"REFUND": false}})
	_, err := e.svc.Refund(rbg, e.clientID, payment.RefundInput{OutTradeNo: no, RefundNo: "A", Amount: 500})
	if !payment.IsUnknownOutcome(err) {
		t.Fatalf("refund A: want an unknown outcome, got %v", err)
	}
	if r := e.refund(no, "A"); r.Status != payment.RefundPending {
		t.Fatalf("refund A is %s, want pending", r.Status)
	}
	e.sb.ClearFaults()

	// Refund B of the remaining 4.90 made outside f2fpay (Alipay's console): Alipay closes
	// the trade and notifies TRADE_CLOSED with out_biz_no=B, refund_fee=9.90 (cumulative).
	if _, err := e.ch.Refund(rbg, payment.RefundRequest{OutTradeNo: no, RefundNo: "B", Amount: 490, Reason: "console"}); err != nil {
		t.Fatalf("external refund B: %v", err)
	}
	e.waitFor("external refund B recorded", func() bool {
		_, err := e.store.GetRefund(rbg, no, "B")
		return err == nil
	})

	// The reconciler settles A.
	if err := e.svc.ReconcileRefund(rbg, e.refund(no, "A")); err != nil {
		t.Fatalf("reconcile A: %v", err)
	}

	tr, _ := e.sb.Trade(e.appID, no)
	t.Logf("alipay refunded %s; gateway: refund A %s, refund B %s, order refunded_amount %s",
		tr.RefundedAmount, e.refund(no, "A").Amount, e.refund(no, "B").Amount, e.order(no).RefundedAmount)
	if got := e.refund(no, "B").Amount; got != 490 {
		t.Errorf("external refund B recorded as %s, Alipay refunded 4.90", got)
	}
	if got := e.order(no).RefundedAmount; got != 990 {
		t.Errorf("order refunded_amount = %s, Alipay refunded %s of a 9.90 order", got, tr.RefundedAmount)
	}
}

// rejectingChannel is the real channel, except that the refund calls it is told to fake
// answer as Alipay would when the outcome is unknown (timeout, nothing done) or when it
// rejects a refund for a passing reason (e.g. ACQ.SELLER_BALANCE_NOT_ENOUGH, 40005
// isv.app-call-limited): Alipay refunded nothing, and the same request may succeed later.
type rejectingChannel struct {
	payment.Channel
	mu   sync.Mutex
	next []error // answers for the next Refund calls; nil entry = pass through
}

func (c *rejectingChannel) Refund(ctx context.Context, r payment.RefundRequest) (*payment.RefundResult, error) {
	c.mu.Lock()
	var fake error
	if len(c.next) > 0 {
		fake, c.next = c.next[0], c.next[1:]
	}
	c.mu.Unlock()
	if fake != nil {
		return nil, fake
	}
	return c.Channel.Refund(ctx, r)
}

// TestFailedRefundNeverSentAgain: ReconcileRefund decides on the refund as it is now, not
// on the refund it claimed. The merchant's repeat of a pending refund whose first answer
// was lost is rejected by Alipay after the reconciler claimed it: the refund stays
// pending (the rejection of a repeat says nothing about the first attempt), and the
// reconciler's stale claim neither sends it again nor fails it before the refund query
// delay has passed.
func TestFailedRefundNeverSentAgain(t *testing.T) {
	var rc *rejectingChannel
	e := newReviewEnv(t, func(ch payment.Channel) payment.Channel { rc = &rejectingChannel{Channel: ch}; return rc })
	const no = "review_stale_refund"
	e.paidOrder(no)

	// Refund R1 of 4.00: the call times out before reaching Alipay (nothing refunded); the
	// confirming refund query finds nothing, so R1 stays pending.
	rc.mu.Lock()
	rc.next = []error{payment.Errorf(payment.CodeUpstreamUnavailable, "timeout")}
	rc.mu.Unlock()
	in := payment.RefundInput{OutTradeNo: no, RefundNo: "R1", Amount: 400}
	if _, err := e.svc.Refund(rbg, e.clientID, in); !payment.IsUnknownOutcome(err) {
		t.Fatalf("R1: want an unknown outcome, got %v", err)
	}

	// The reconciler claims R1 when it is due (as worker.Reconciler.runOnce does)...
	now := time.Now().UTC().Add(2 * time.Minute)
	claimed, err := e.store.ClaimDueRefunds(rbg, now, now.Add(2*time.Minute), 10)
	if err != nil || len(claimed) != 1 || claimed[0].RefundNo != "R1" {
		t.Fatalf("claim: %v %v", claimed, err)
	}

	// ...while the merchant repeats R1 and Alipay rejects it for a passing reason. The first
	// attempt's outcome is unknown, so R1 stays pending (docs/decisions.md, "A refund with
	// an unknown answer"): the merchant is never told to refund again.
	rc.mu.Lock()
	rc.next = []error{&payment.Error{Code: payment.CodeUpstreamRejected, Message: "alipay rejected",
		AlipayCode: "40004", AlipaySubCode: "ACQ.SELLER_BALANCE_NOT_ENOUGH", AlipaySubMsg: "卖家余额不足"}}
	rc.mu.Unlock()
	if _, err := e.svc.Refund(rbg, e.clientID, in); !payment.IsUnknownOutcome(err) {
		t.Fatalf("R1 repeat: want an unknown outcome, got %v", err)
	}
	if r := e.refund(no, "R1"); r.Status != payment.RefundPending {
		t.Fatalf("R1 is %s, want pending", r.Status)
	}

	// The reconciler now handles its (stale) claim of R1.
	if err := e.svc.ReconcileRefund(rbg, claimed[0]); err != nil {
		t.Fatalf("reconcile R1: %v", err)
	}

	tr, _ := e.sb.Trade(e.appID, no)
	t.Logf("alipay refunded %s in %d refunds; gateway: R1 %s, order refunded_amount %s",
		tr.RefundedAmount, len(tr.Refunds), e.refund(no, "R1").Status, e.order(no).RefundedAmount)
	if tr.RefundedAmount != "0.00" {
		t.Errorf("Alipay refunded %s: the reconciler sent R1 again instead of asking the refund query", tr.RefundedAmount)
	}
	if r := e.refund(no, "R1"); r.Status != payment.RefundPending {
		t.Errorf("R1 is %s; the refund query asked within 10 s of the attempt decides nothing", r.Status)
	}
}
