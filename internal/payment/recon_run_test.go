package payment_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testenv"
)

// TestReconcileCleanDay: a day of payments and a refund made through f2fpay agrees with
// the sandbox's bill (0.6 % fee per payment, none given back on refunds): no discrepancy, the totals side by side are equal, and running the day
// again changes nothing but adds a run. Each completed run tells every enabled client.
func TestReconcileCleanDay(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, pg bool) {
		ctx := context.Background()
		e := newReconEnv(t, pg, nil)
		e.paid("clean_1", 990)
		e.paid("clean_2", 12800)
		if _, err := e.svc.Refund(ctx, e.clientID, payment.RefundInput{OutTradeNo: "clean_2", RefundNo: "r1", Amount: 300}); err != nil {
			t.Fatal(err)
		}
		b := e.sandboxBill()
		run := e.reconcile(b)
		if counts(run) != [3]int{} || run.Status != payment.RunCompleted || run.Source != payment.SourceFile {
			t.Fatalf("run %+v", run)
		}
		want := payment.BillTotals{TradeCount: 2, TradeAmount: 13790, RefundCount: 1, RefundAmount: 300}
		if run.Totals.Books != want || run.Totals.Bill.TradeAmount != 13790 || run.Totals.Bill.Fee != -(6+77) ||
			run.Totals.Summary == nil || run.Totals.Summary.Amount != 13490 || run.Totals.Summary.Fee != -(6+77) {
			t.Fatalf("totals %+v / %+v / %+v", run.Totals.Books, run.Totals.Bill, run.Totals.Summary)
		}
		again := e.reconcile(b)
		if counts(again) != [3]int{} || again.ID == run.ID || len(e.found()) != 0 {
			t.Fatalf("re-run %+v, discrepancies %v", again, e.found())
		}
		evs, err := e.store.ListEvents(ctx, e.clientID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var recon []payment.ReconciliationObject
		for _, ev := range evs {
			if ev.Type == payment.EventReconciliationCompleted {
				var o payment.ReconciliationObject
				if err := json.Unmarshal(ev.Data, &o); err != nil {
					t.Fatal(err)
				}
				recon = append(recon, o)
			}
		}
		if len(recon) != 2 || recon[0].RunID != run.ID || recon[1].RunID != again.ID || recon[0].Date != e.day ||
			recon[0].Totals.Books.TradeCount != 2 || recon[0].Discrepancies != (payment.DiscrepancyCounts{}) {
			t.Fatalf("reconciliation.completed events %+v", recon)
		}
	})
}

// TestReconcileEventsPerClient: every enabled client gets its own reconciliation.completed
// (its webhook and events API); a disabled client gets none.
func TestReconcileEventsPerClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newReconEnv(t, false, nil)
	other, _, err := e.svc.CreateMerchant(ctx, "second", "")
	if err != nil {
		t.Fatal(err)
	}
	off, _, err := e.svc.CreateMerchant(ctx, "disabled", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetMerchantDisabled(ctx, off.AppID, true); err != nil {
		t.Fatal(err)
	}
	e.paid("per_client_1", 500)
	run := e.reconcile(e.sandboxBill())
	for id, want := range map[string]int{e.clientID: 1, other.AppID: 1, off.AppID: 0} {
		evs, err := e.store.ListEvents(ctx, id, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var recon []*payment.Event
		for _, ev := range evs {
			if ev.Type == payment.EventReconciliationCompleted {
				recon = append(recon, ev)
			}
		}
		if len(recon) != want || (want == 1 && recon[0].OutTradeNo != "") {
			t.Errorf("client %s: events %+v, want %d reconciliation.completed (run %d)", id, evs, want, run.ID)
		}
	}
}

// TestReconcileQuietDay: a day with nothing in the books or the bill is kept as a run but
// sends no reconciliation.completed, so a fresh install's first daily run is no webhook.
func TestReconcileQuietDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newReconEnv(t, false, nil)
	run := e.reconcile(e.bill(nil))
	if run.Status != payment.RunCompleted || counts(run) != [3]int{} {
		t.Fatalf("run %+v", run)
	}
	if evs, err := e.store.ListEvents(ctx, e.clientID, 0, 10); err != nil || len(evs) != 0 {
		t.Fatalf("events of a quiet day: %+v, %v", evs, err)
	}
	if runs, err := e.store.ListReconRuns(ctx, 0, 10); err != nil || len(runs) != 1 {
		t.Fatalf("runs: %d, %v; want the quiet run kept", len(runs), err)
	}
}

// fakeBills is a BillSource answering err, to test ReconcileDay alone.
type fakeBills struct{ err error }

func (f fakeBills) DownloadBill(context.Context, payment.BillDay) (*payment.Bill, error) {
	return nil, f.err
}
func (f fakeBills) ParseBill([]byte) (*payment.Bill, error) { return nil, f.err }

// TestReconcileNoBill: a bill Alipay has not made yet is a not_ready run, retried later and
// no discrepancy (the retries update that one run); a failed download is a failed run; a
// day that ended more than NoBillAfter ago without a bill had no trades at Alipay, and is
// compared with an empty bill.
func TestReconcileNoBill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newReconEnv(t, false, nil)
	yesterday := payment.BillDayOf(time.Now()).AddDays(-1) // within NoBillAfter of its end
	for i, tc := range []struct {
		err  error
		want payment.RunStatus
		runs int
	}{
		{payment.ErrBillNotReady, payment.RunNotReady, 1},
		{payment.ErrBillNotReady, payment.RunNotReady, 1},
		{payment.Errorf(payment.CodeUpstreamUnavailable, "timed out"), payment.RunFailed, 2},
	} {
		e.svc.SetBillSource(fakeBills{tc.err})
		run, err := e.svc.ReconcileDay(ctx, payment.ReconcileInput{Day: yesterday, Trigger: payment.TriggerSchedule})
		if !errors.Is(err, tc.err) || run == nil || run.Status != tc.want || run.Source != payment.SourceAlipay || run.ID == 0 {
			t.Fatalf("attempt %d: run %+v, err %v", i+1, run, err)
		}
		if runs, _ := e.store.ListReconRuns(ctx, 0, 10); len(runs) != tc.runs {
			t.Fatalf("attempt %d: %d runs stored, want %d", i+1, len(runs), tc.runs)
		}
	}
	e.svc.SetBillSource(fakeBills{payment.ErrBillNotReady})
	e.paid("nobill_1", 990) // today: not in the old day's books
	old := payment.BillDayOf(time.Now()).AddDays(-3)
	run, err := e.svc.ReconcileDay(ctx, payment.ReconcileInput{Day: old, Trigger: payment.TriggerSchedule})
	if err != nil || run.Status != payment.RunCompleted || counts(run) != [3]int{} || run.Note == "" {
		t.Fatalf("a day long past without a bill: %+v, %v", run, err)
	}
	if len(e.found()) != 0 {
		t.Fatalf("discrepancies %v", e.found())
	}
}

// TestReconcileRefusesWrongBill: a bill of another day or another Alipay account, or a day
// not begun, is refused and changes nothing.
func TestReconcileRefusesWrongBill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newReconEnv(t, false, nil)
	other := testenv.BillZip(t, "20889999999999990156", e.day, nil)
	b, err := e.svc.ParseBill(other)
	if err != nil {
		t.Fatal(err)
	}
	yesterday := testenv.BillZip(t, e.account, e.day.AddDays(-1), nil)
	b2, err := e.svc.ParseBill(yesterday)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]payment.ReconcileInput{
		"another account": {Day: e.day, Bill: b},
		"another day":     {Day: e.day, Bill: b2},
		"tomorrow":        {Day: e.day.AddDays(1), Bill: &payment.Bill{}},
		"not a date":      {Day: "2026-13-01", Bill: &payment.Bill{}},
	} {
		if _, err := e.svc.ReconcileDay(ctx, in); payment.ErrorCode(err) != payment.CodeInvalidParameter {
			t.Errorf("%s: %v", name, err)
		}
	}
	if runs, _ := e.store.ListReconRuns(ctx, 0, 10); len(runs) != 0 {
		t.Fatalf("%d runs stored", len(runs))
	}
}

// TestAcknowledgeDiscrepancy: an operator acknowledges an open discrepancy with a note;
// a re-run that finds it again leaves it acknowledged and no longer open.
func TestAcknowledgeDiscrepancy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newReconEnv(t, false, nil)
	b := e.bill([]testenv.BillRow{{TradeNo: "2026000000000001", OutTradeNo: "other_system_1", Amount: 500, At: time.Now()}})
	run := e.reconcile(b)
	ds, _ := e.svc.RunDiscrepancies(ctx, run)
	if len(ds) != 1 {
		t.Fatalf("discrepancies %v", e.found())
	}
	id := ds[0].ID
	if _, err := e.svc.AcknowledgeDiscrepancy(ctx, id, "  "); payment.ErrorCode(err) != payment.CodeInvalidParameter {
		t.Errorf("empty note: %v", err)
	}
	if _, err := e.svc.AcknowledgeDiscrepancy(ctx, id+100, "x"); payment.ErrorCode(err) != payment.CodeNotFound {
		t.Errorf("unknown id: %v", err)
	}
	d, err := e.svc.AcknowledgeDiscrepancy(ctx, id, "the vending machines' old system; booked there")
	if err != nil || d.State != payment.DiscrepancyAcknowledged || d.ClosedAt == nil {
		t.Fatalf("acknowledge: %+v, %v", d, err)
	}
	if _, err := e.svc.AcknowledgeDiscrepancy(ctx, id, "again"); payment.ErrorCode(err) != payment.CodeConflict {
		t.Errorf("acknowledge twice: %v", err)
	}
	again := e.reconcile(b)
	if counts(again) != [3]int{1, 0, 0} || !slices.Equal(e.found(), []string{"unknown_order trade:2026000000000001 acknowledged"}) {
		t.Fatalf("re-run %+v: %v", counts(again), e.found())
	}
}
