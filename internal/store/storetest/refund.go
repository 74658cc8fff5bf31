package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

func testRefund(t *testing.T, s payment.Store) {
	ctx := context.Background()
	o := mustInsertOrder(t, s, newOrder("app-a", "rf-1"))
	other := mustInsertOrder(t, s, newOrder("app-a", "rf-2"))

	full := newRefund(o, "r1", 100)
	full.Reason, full.Status, full.FailureReason = "退款", payment.RefundFailed, "ACQ.TRADE_STATUS_ERROR"
	full.UpdatedAt, full.SucceededAt, full.NextCheckAt, full.CheckCount = at(time.Second), ptr(2*time.Second), ptr(time.Minute), 2
	full.AttemptedAt = ptr(3 * time.Second)
	must(t, "InsertRefund full", s.InsertRefund(ctx, full))
	if full.ID == 0 || full.Version != 1 {
		t.Fatalf("after insert ID=%d Version=%d", full.ID, full.Version)
	}
	got, err := s.GetRefund(ctx, "rf-1", "r1")
	must(t, "GetRefund", err)
	equal(t, "full refund", got, full)

	bare := newRefund(o, "r2", 200)
	must(t, "InsertRefund bare", s.InsertRefund(ctx, bare))
	got, err = s.GetRefund(ctx, "rf-1", "r2")
	must(t, "GetRefund bare", err)
	equal(t, "bare refund", got, bare)

	wantErr(t, "same (out_trade_no, refund_no)", s.InsertRefund(ctx, newRefund(o, "r1", 5)), payment.ErrDuplicate)
	must(t, "same refund_no, other order", s.InsertRefund(ctx, newRefund(other, "r1", 5)))

	list, err := s.ListRefunds(ctx, "rf-1")
	must(t, "ListRefunds", err)
	equal(t, "ListRefunds", list, []*payment.Refund{full, bare})

	// Update, then a stale copy is refused.
	stale := *bare
	bare.Status, bare.SucceededAt, bare.NextCheckAt, bare.UpdatedAt = payment.RefundSucceeded, ptr(time.Hour), nil, at(time.Hour)
	bare.AttemptedAt = ptr(30 * time.Minute)
	must(t, "UpdateRefund", s.UpdateRefund(ctx, bare))
	if bare.Version != 2 {
		t.Errorf("Version = %d, want 2", bare.Version)
	}
	got, err = s.GetRefund(ctx, "rf-1", "r2")
	must(t, "GetRefund after update", err)
	equal(t, "updated refund", got, bare)
	stale.Status = payment.RefundFailed
	wantErr(t, "stale UpdateRefund", s.UpdateRefund(ctx, &stale), payment.ErrStale)
}

func testDueRefunds(t *testing.T, s payment.Store) {
	ctx := context.Background()
	o := mustInsertOrder(t, s, newOrder("app-a", "drf"))
	for i, due := range []*time.Time{ptr(5 * time.Minute), nil, ptr(time.Minute), ptr(time.Hour), ptr(3 * time.Minute)} {
		r := newRefund(o, seqName("r", i), 1)
		r.NextCheckAt = due
		must(t, "InsertRefund", s.InsertRefund(ctx, r))
	}
	get := func(now time.Time, limit int) []string {
		t.Helper()
		rs, err := s.DueRefunds(ctx, now, limit)
		must(t, "DueRefunds", err)
		out := []string{}
		for _, r := range rs {
			out = append(out, r.RefundNo)
		}
		return out
	}
	equal(t, "due at +5m", get(at(5*time.Minute), 10), []string{"r002", "r004", "r000"})
	equal(t, "limit 1", get(at(5*time.Minute), 1), []string{"r002"})
	equal(t, "none due", get(at(0), 10), []string{})
}
