package payment_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testenv"
)

// TestReconcileDroppedNotification: Alipay's notification never arrived and no reconciler
// ran, so the books show the order pending; the bill lists the payment, the run queries
// it, records it paid with payment.succeeded once, and the discrepancy is resolved. A
// re-run finds nothing more.
func TestReconcileDroppedNotification(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, pg bool) {
		e := newReconEnv(t, pg, nil)
		e.te.Sandbox.SetFaults(sandbox.Faults{Seed: 1, NotifyDrop: 1})
		e.order("lost_1", 990)
		if o := e.get("lost_1"); o.Status != payment.StatusPending {
			t.Fatalf("order is %s before the run", o.Status)
		}
		b := e.sandboxBill()
		run := e.reconcile(b)
		if counts(run) != [3]int{1, 1, 0} || !slices.Equal(e.found(), []string{"payment_not_recorded lost_1 resolved"}) {
			t.Fatalf("run %v: %v", counts(run), e.found())
		}
		o := e.get("lost_1")
		if o.Status != payment.StatusPaid || o.TradeNo == "" || o.Late || payment.BillDayOf(*o.PaidAt) != e.day {
			t.Fatalf("order %+v", o)
		}
		if bk, bl := run.Totals.Books, run.Totals.Bill; bk.TradeCount != bl.TradeCount || bk.TradeAmount != bl.TradeAmount {
			t.Errorf("books %+v after recording, bill %+v", run.Totals.Books, run.Totals.Bill)
		}
		again := e.reconcile(b)
		if counts(again) != [3]int{} || !slices.Equal(e.events("lost_1"), []string{payment.EventPaymentSucceeded}) {
			t.Fatalf("re-run %v, events %v", counts(again), e.events("lost_1"))
		}
	})
}

// TestReconcileAmountChanged: a bill whose amount differs from the order (crafted here) is
// flagged, stays open on a re-run as the same one discrepancy, and counts as open.
func TestReconcileAmountChanged(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		e := newReconEnv(t, pg, nil)
		e.paid("amt_1", 990)
		rows := e.rows("amt_1")
		rows[0].Amount = 999
		b := e.bill(rows)
		for i := range 2 {
			run := e.reconcile(b)
			if counts(run) != [3]int{1, 0, 1} || !slices.Equal(e.found(), []string{"amount_mismatch amt_1 open"}) {
				t.Fatalf("run %d: %v: %v", i+1, counts(run), e.found())
			}
		}
		ds, err := e.store.ListDiscrepancies(ctx, payment.DiscrepancyFilter{State: payment.DiscrepancyOpen})
		if err != nil || len(ds) != 1 || ds[0].Ours != 990 || ds[0].Alipay != 999 || ds[0].TradeNo == "" {
			t.Fatalf("discrepancy %+v, %v", ds, err)
		}
		depths, err := e.store.QueueDepths(ctx, time.Now())
		if err != nil || depths.DiscrepanciesOpen != 1 {
			t.Fatalf("open discrepancies %d, %v", depths.DiscrepanciesOpen, err)
		}
	})
}

// TestReconcileUnknownOrder: a trade and a refund of an out_trade_no f2fpay never issued
// (another system on the same Alipay app) are reported under their own kind and not
// imported; they explain the totals, so no totals discrepancy is added.
func TestReconcileUnknownOrder(t *testing.T) {
	t.Parallel()
	e := newReconEnv(t, false, nil)
	now := time.Now()
	run := e.reconcile(e.bill([]testenv.BillRow{
		{TradeNo: "2026000000000007", OutTradeNo: "vm_88", Amount: 350, At: now},
		{TradeNo: "2026000000000007", OutTradeNo: "vm_88", RefundNo: "vm-88-r", Amount: 350, At: now},
	}))
	want := []string{"unknown_order refund:2026000000000007/vm-88-r open", "unknown_order trade:2026000000000007 open"}
	if counts(run) != [3]int{2, 0, 2} || !slices.Equal(e.found(), want) {
		t.Fatalf("run %v: %v", counts(run), e.found())
	}
	if _, err := e.store.GetOrder(context.Background(), "vm_88"); err == nil {
		t.Fatal("another system's order was imported")
	}
}

// TestReconcileNotInBillNextDay: a payment the day's bill lacks stays open; when the next
// day's bill lists it (paid just before midnight, the bill closed late) it is resolved
// automatically, and the next day shows no totals difference for it.
func TestReconcileNotInBillNextDay(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, pg bool) {
		clock := &shiftedClock{}
		e := newReconEnv(t, pg, clock)
		e.paid("late_1", 990)
		e.paid("late_2", 500)
		rows := e.rows("late_1", "late_2")
		first := e.reconcile(e.bill(rows[1:]))
		if counts(first) != [3]int{1, 0, 1} || !slices.Equal(e.found(), []string{"payment_not_in_bill late_1 open"}) {
			t.Fatalf("day 1: %v: %v", counts(first), e.found())
		}
		clock.shift(30 * time.Hour) // the service lives on the next day
		day1 := e.day
		e.day = day1.AddDays(1)
		rows[0].At = e.day.Start().Add(3 * time.Second)
		next := e.reconcile(e.bill(rows[:1]))
		if counts(next) != [3]int{0, 1, 0} {
			t.Fatalf("day 2: %v: %v", counts(next), e.found())
		}
		e.day = day1
		if !slices.Equal(e.found(), []string{"payment_not_in_bill late_1 resolved"}) {
			t.Fatalf("day 1 after day 2: %v", e.found())
		}
	})
}

// shiftedClock is the system clock moved forward by a test.
type shiftedClock struct{ by time.Duration }

func (c *shiftedClock) Now() time.Time        { return time.Now().Add(c.by) }
func (c *shiftedClock) shift(d time.Duration) { c.by += d }

// TestReconcileTotals: a bill whose detail and (汇总) disagree, and one whose rows add up
// to more than the books with every row matched (a payment listed twice), are flagged as
// totals discrepancies.
func TestReconcileTotals(t *testing.T) {
	t.Parallel()
	e := newReconEnv(t, false, nil)
	e.paid("tot_1", 990)
	rows := e.rows("tot_1")
	b := e.bill(append(rows, rows[0]))
	b.Summary.Fee -= 1
	run := e.reconcile(b)
	want := []string{"totals_mismatch books open", "totals_mismatch summary open"}
	if counts(run) != [3]int{2, 0, 2} || !slices.Equal(e.found(), want) {
		t.Fatalf("run %v: %v", counts(run), e.found())
	}
	if run.Totals.Bill.TradeCount != 2 || run.Totals.Books.TradeCount != 1 {
		t.Fatalf("totals %+v", run.Totals)
	}
}
