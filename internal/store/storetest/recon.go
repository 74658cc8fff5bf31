package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// newDiscrepancy returns an open discrepancy of day found by run 1.
func newDiscrepancy(day payment.BillDay, kind payment.DiscrepancyKind, ref string) *payment.Discrepancy {
	return &payment.Discrepancy{Day: day, Kind: kind, Ref: ref, OutTradeNo: ref, TradeNo: "2026" + ref, Ours: 990,
		Alipay: 1000, Detail: "测试 detail", State: payment.DiscrepancyOpen, FirstRunID: 1, LastRunID: 1,
		CreatedAt: t0, UpdatedAt: t0}
}

// testReconRun: runs round-trip with their totals, update their outcome and list newest
// first with a cursor.
func testReconRun(t *testing.T, s payment.Store) {
	ctx := context.Background()
	r := &payment.ReconRun{Day: "2026-11-28", Trigger: payment.TriggerSchedule, Source: payment.SourceAlipay,
		Status: payment.RunCompleted, StartedAt: t0, FinishedAt: at(time.Second),
		Totals: payment.ReconTotals{Books: payment.BillTotals{TradeCount: 4, TradeAmount: 137990},
			Bill:    payment.BillTotals{TradeCount: 4, TradeAmount: 137990, RefundCount: 1, RefundAmount: 20000, Fee: -705},
			Summary: &payment.BillSummary{TradeCount: 4, RefundCount: 1, Amount: 117990, Fee: -705}}}
	must(t, "InsertReconRun", s.InsertReconRun(ctx, r))
	got, err := s.GetReconRun(ctx, r.ID)
	must(t, "GetReconRun", err)
	equal(t, "round trip", got, r)
	r.Found, r.Resolved, r.Open, r.Note = 3, 2, 1, "note"
	r.Totals.Books.RefundCount = 1
	must(t, "UpdateReconRun", s.UpdateReconRun(ctx, r))
	got, _ = s.GetReconRun(ctx, r.ID)
	equal(t, "after update", got, r)
	wantErr(t, "update a missing run", s.UpdateReconRun(ctx, &payment.ReconRun{ID: r.ID + 100}), payment.ErrNotFound)
	_, err = s.GetReconRun(ctx, r.ID+100)
	wantErr(t, "get a missing run", err, payment.ErrNotFound)
	for i := range 3 {
		n := &payment.ReconRun{Day: "2026-11-29", Trigger: payment.TriggerCLI, Source: payment.SourceFile,
			Status: payment.RunNotReady, StartedAt: at(time.Duration(i) * time.Hour), FinishedAt: at(time.Duration(i) * time.Hour)}
		must(t, "InsertReconRun", s.InsertReconRun(ctx, n))
	}
	last, err := s.LastReconRun(ctx, "2026-11-28")
	must(t, "LastReconRun", err)
	equal(t, "last of a day", last.ID, r.ID)
	_, err = s.LastReconRun(ctx, "2026-11-30")
	wantErr(t, "last of a day without runs", err, payment.ErrNotFound)
	runs, err := s.ListReconRuns(ctx, 0, 2)
	must(t, "ListReconRuns", err)
	if len(runs) != 2 || runs[0].ID <= runs[1].ID || runs[1].ID <= r.ID {
		t.Fatalf("first page %+v", runs)
	}
	runs, err = s.ListReconRuns(ctx, runs[1].ID, 10)
	must(t, "ListReconRuns page 2", err)
	if len(runs) != 2 || runs[1].ID != r.ID || runs[1].Totals.Summary == nil {
		t.Fatalf("second page %+v", runs)
	}
}

// testDiscrepancy: (day, kind, ref) is unique; updates are optimistic; the filters select
// by day, earlier days, state, kinds and last run.
func testDiscrepancy(t *testing.T, s payment.Store) {
	ctx := context.Background()
	d := newDiscrepancy("2026-11-28", payment.KindPaymentNotInBill, "o1")
	must(t, "InsertDiscrepancy", s.InsertDiscrepancy(ctx, d))
	equal(t, "version", d.Version, int64(1))
	wantErr(t, "duplicate key", s.InsertDiscrepancy(ctx, newDiscrepancy("2026-11-28", payment.KindPaymentNotInBill, "o1")),
		payment.ErrDuplicate)
	got, err := s.FindDiscrepancy(ctx, "2026-11-28", payment.KindPaymentNotInBill, "o1")
	must(t, "FindDiscrepancy", err)
	equal(t, "found", got, d)
	_, err = s.FindDiscrepancy(ctx, "2026-11-28", payment.KindAmountMismatch, "o1")
	wantErr(t, "another kind", err, payment.ErrNotFound)
	stale := *got
	got.State, got.Note, got.ClosedAt, got.LastRunID, got.UpdatedAt = payment.DiscrepancyAcknowledged, "ok", ptr(time.Minute), 2, at(time.Minute)
	must(t, "UpdateDiscrepancy", s.UpdateDiscrepancy(ctx, got))
	wantErr(t, "stale update", s.UpdateDiscrepancy(ctx, &stale), payment.ErrStale)
	back, err := s.GetDiscrepancy(ctx, d.ID)
	must(t, "GetDiscrepancy", err)
	equal(t, "after update", back, got)
	missing := *back
	missing.ID += 100
	wantErr(t, "update missing", s.UpdateDiscrepancy(ctx, &missing), payment.ErrNotFound)

	for _, x := range []*payment.Discrepancy{
		newDiscrepancy("2026-11-27", payment.KindRefundNotInBill, "o2/r1"),
		newDiscrepancy("2026-11-28", payment.KindAmountMismatch, "o1"),
		newDiscrepancy("2026-11-29", payment.KindUnknownOrder, "trade:9"),
	} {
		must(t, "InsertDiscrepancy", s.InsertDiscrepancy(ctx, x))
	}
	refs := func(f payment.DiscrepancyFilter) []string {
		t.Helper()
		ds, err := s.ListDiscrepancies(ctx, f)
		must(t, "ListDiscrepancies", err)
		out := []string{}
		for _, d := range ds {
			out = append(out, string(d.Day)+" "+string(d.Kind))
		}
		return out
	}
	equal(t, "all, newest day first", refs(payment.DiscrepancyFilter{}), []string{"2026-11-29 unknown_order",
		"2026-11-28 payment_not_in_bill", "2026-11-28 amount_mismatch", "2026-11-27 refund_not_in_bill"})
	equal(t, "open of a day", refs(payment.DiscrepancyFilter{Day: "2026-11-28", State: payment.DiscrepancyOpen}),
		[]string{"2026-11-28 amount_mismatch"})
	equal(t, "before a day, of kinds", refs(payment.DiscrepancyFilter{Before: "2026-11-29",
		Kinds: []payment.DiscrepancyKind{payment.KindPaymentNotInBill, payment.KindRefundNotInBill}}),
		[]string{"2026-11-28 payment_not_in_bill", "2026-11-27 refund_not_in_bill"})
	equal(t, "last run", refs(payment.DiscrepancyFilter{RunID: 2}), []string{"2026-11-28 payment_not_in_bill"})
	equal(t, "limit", len(refs(payment.DiscrepancyFilter{Limit: 1})), 1)
	depths, err := s.QueueDepths(ctx, t0)
	must(t, "QueueDepths", err)
	equal(t, "open discrepancies", depths.DiscrepanciesOpen, int64(3))
}

// testPaidOrders: a day's books are the orders paid in [from, to) and the refunds that
// succeeded in it, paged by ID.
func testPaidOrders(t *testing.T, s payment.Store) {
	ctx := context.Background()
	from, to := at(0), at(24*time.Hour)
	for i, paid := range []*time.Time{ptr(-time.Microsecond), ptr(0), nil, ptr(time.Hour), ptr(24*time.Hour - time.Microsecond), ptr(24 * time.Hour)} {
		o := newOrder("app-a", seqName("po", i))
		o.PaidAt = paid
		if paid != nil {
			o.Status = payment.StatusPaid
		}
		mustInsertOrder(t, s, o)
		r := newRefund(o, "r", 100)
		if paid != nil && i != 3 {
			r.Status, r.SucceededAt = payment.RefundSucceeded, paid
		} else {
			r.SucceededAt = paid // pending (or failed) refunds are not in the books whatever their time
		}
		must(t, "InsertRefund", s.InsertRefund(ctx, r))
	}
	os, err := s.ListPaidOrders(ctx, from, to, 0, 2)
	must(t, "ListPaidOrders", err)
	equal(t, "first page", orderNos(os), []string{"po001", "po003"})
	os, err = s.ListPaidOrders(ctx, from, to, os[1].ID, 2)
	must(t, "ListPaidOrders page 2", err)
	equal(t, "second page", orderNos(os), []string{"po004"})
	rs, err := s.ListSucceededRefunds(ctx, from, to, 0, 10)
	must(t, "ListSucceededRefunds", err)
	got := []string{}
	for _, r := range rs {
		got = append(got, r.OutTradeNo)
	}
	equal(t, "refunds", got, []string{"po001", "po004"})
}

// testReconSchedule: one claimer of a day at a time; a retry time or an ended lease makes
// it due again; done is done; only the holder finishes.
func testReconSchedule(t *testing.T, s payment.Store) {
	ctx := context.Background()
	claim := func(day payment.BillDay, owner string, now time.Duration) bool {
		t.Helper()
		ok, err := s.ClaimReconciliation(ctx, day, owner, at(now), at(now+10*time.Minute))
		must(t, "ClaimReconciliation", err)
		return ok
	}
	equal(t, "first claim", claim("2026-11-28", "a", 0), true)
	equal(t, "while a holds it", claim("2026-11-28", "b", time.Minute), false)
	equal(t, "another day", claim("2026-11-27", "b", time.Minute), true)
	retry := at(30 * time.Minute)
	must(t, "finish not ready", s.FinishReconciliation(ctx, "2026-11-28", "a", &retry, at(2*time.Minute)))
	wantErr(t, "finish twice", s.FinishReconciliation(ctx, "2026-11-28", "a", nil, at(2*time.Minute)), payment.ErrStale)
	equal(t, "before the retry", claim("2026-11-28", "b", 29*time.Minute), false)
	equal(t, "at the retry", claim("2026-11-28", "b", 30*time.Minute), true)
	must(t, "finish done", s.FinishReconciliation(ctx, "2026-11-28", "b", nil, at(31*time.Minute)))
	equal(t, "done", claim("2026-11-28", "a", 48*time.Hour), false)
	equal(t, "lease of the crashed claimer ends", claim("2026-11-27", "c", 11*time.Minute), true)
	wantErr(t, "the crashed claimer finishes", s.FinishReconciliation(ctx, "2026-11-27", "b", nil, at(12*time.Minute)), payment.ErrStale)

	var wg sync.WaitGroup
	var won atomic.Int32
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimReconciliation(ctx, "2026-11-26", seqName("w", i), at(0), at(time.Hour))
			if err != nil {
				t.Errorf("ClaimReconciliation: %v", err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	equal(t, "claimers of one day at once that won", won.Load(), int32(1))
}
