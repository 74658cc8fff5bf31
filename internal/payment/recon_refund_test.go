package payment_test

import (
	"context"
	"slices"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// TestReconcileOutsideRefund: a refund made in Alipay's merchant portal
// (POST /sandbox/api/refund), whose notification never came, is found in the bill, confirmed by Alipay's refund query and recorded at its
// own amount with refund.succeeded once; the discrepancy is resolved and a re-run is clean.
func TestReconcileOutsideRefund(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		e := newReconEnv(t, pg, nil)
		e.paid("out_1", 990)
		e.te.Sandbox.SetFaults(sandbox.Faults{Seed: 1, NotifyDrop: 1})
		e.outsideRefund("out_1", "3.00", "portal-1")
		b := e.sandboxBill()
		run := e.reconcile(b)
		if counts(run) != [3]int{1, 1, 0} || !slices.Equal(e.found(), []string{"refund_not_recorded out_1/portal-1 resolved"}) {
			t.Fatalf("run %v: %v", counts(run), e.found())
		}
		r, err := e.store.GetRefund(ctx, "out_1", "portal-1")
		if err != nil || r.Status != payment.RefundSucceeded || r.Amount != 300 || r.Reason != "refunded outside f2fpay" {
			t.Fatalf("refund %+v, %v", r, err)
		}
		if o := e.get("out_1"); o.RefundedAmount != 300 || o.Status != payment.StatusPaid {
			t.Fatalf("order %+v", o)
		}
		if again := e.reconcile(b); counts(again) != [3]int{} {
			t.Fatalf("re-run %v: %v", counts(again), e.found())
		}
		want := []string{payment.EventPaymentSucceeded, payment.EventRefundSucceeded}
		if got := e.events("out_1"); !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}

// TestReconcileRefundStates: a refund of ours still pending here (its answers were lost)
// is completed when the bill lists it; one recorded failed here but in the bill stays
// open (the money went back all the same); a refund amount that differs is flagged.
func TestReconcileRefundStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newReconEnv(t, false, nil)
	e.paid("rs_1", 990)
	e.paid("rs_2", 990)
	e.te.Sandbox.SetFaults(sandbox.Faults{Seed: 1, GatewayTimeout: 1, NotifyStates: map[string]bool{"REFUND": false},
		Methods: []string{"alipay.trade.refund", "alipay.trade.fastpay.refund.query"}})
	if _, err := e.svc.Refund(ctx, e.clientID, payment.RefundInput{OutTradeNo: "rs_1", RefundNo: "a", Amount: 100}); !payment.IsUnknownOutcome(err) {
		t.Fatalf("refund a: want an unknown outcome, got %v", err)
	}
	e.te.Sandbox.SetFaults(sandbox.Faults{Seed: 1, NotifyStates: map[string]bool{"REFUND": false}})
	if _, err := e.svc.Refund(ctx, e.clientID, payment.RefundInput{OutTradeNo: "rs_2", RefundNo: "b", Amount: 200}); err != nil {
		t.Fatal(err)
	}
	// A refund Alipay refused (so failed here) that the bill, crafted, lists all the same.
	o := e.get("rs_2")
	failed := &payment.Refund{ClientID: o.ClientID, OutTradeNo: "rs_2", RefundNo: "c", Amount: 100, Status: payment.RefundFailed,
		FailureReason: "ACQ.SELLER_BALANCE_NOT_ENOUGH: 卖家余额不足", CreatedAt: *o.PaidAt, UpdatedAt: *o.PaidAt}
	if err := e.store.InsertRefund(ctx, failed); err != nil {
		t.Fatal(err)
	}
	rows := e.rows("rs_1", "rs_2")
	for i := range rows {
		if rows[i].RefundNo == "b" {
			rows[i].Amount = 250
		}
	}
	c := rows[len(rows)-1]
	c.RefundNo, c.Amount = "c", 100
	run := e.reconcile(e.bill(append(rows, c)))
	want := []string{"amount_mismatch rs_2/b open", "refund_not_recorded rs_1/a resolved", "refund_not_recorded rs_2/c open"}
	if counts(run) != [3]int{3, 1, 2} || !slices.Equal(e.found(), want) {
		t.Fatalf("run %v: %v", counts(run), e.found())
	}
	if r, _ := e.store.GetRefund(ctx, "rs_1", "a"); r.Status != payment.RefundSucceeded {
		t.Fatalf("pending refund not completed: %+v", r)
	}
}
