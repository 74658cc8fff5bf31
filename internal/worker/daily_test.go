package worker

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestDueDay: before reconcile.at the newest due bill is the day before yesterday's, from
// reconcile.at on yesterday's, in Beijing time whatever the host's zone.
func TestDueDay(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation(time.DateTime, s, payment.Beijing())
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	for now, want := range map[string]payment.BillDay{
		"2026-11-29 09:59:59": "2026-11-27", "2026-11-29 10:00:00": "2026-11-28",
		"2026-11-29 23:59:59": "2026-11-28", "2026-11-30 00:00:00": "2026-11-28", "2026-03-01 10:00:00": "2026-02-28",
	} {
		if got := DueDay(at(now), 10*time.Hour); got != want {
			t.Errorf("DueDay(%s) = %s, want %s", now, got, want)
		}
	}
}

// controlBills serves the sandbox's bill of any day through its control API
// (GET /sandbox/api/bill), which unlike bill.downloadurl.query also serves today: the
// trades of these tests happen today, on the sandbox's own clock. The download path itself
// is tested in internal/alipay.
type controlBills struct{ e *env }

func (c controlBills) DownloadBill(_ context.Context, day payment.BillDay) (*payment.Bill, error) {
	rec := httptest.NewRecorder()
	c.e.sb.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sandbox/api/bill?app_id="+c.e.appID+"&date="+string(day), nil))
	if rec.Code != http.StatusOK {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "sandbox bill: %d", rec.Code)
	}
	return alipay.ParseBill(rec.Body.Bytes())
}

func (c controlBills) ParseBill(b []byte) (*payment.Bill, error) { return alipay.ParseBill(b) }

// TestDailyReconcilerRetriesUntilReady: at reconcile.at the worker takes yesterday (its
// clock is a day ahead of the sandbox's, so the sandbox's today); Alipay has no bill yet,
// so it is a not_ready run and no discrepancy; nothing happens until the retry time, when
// the bill is there and the day is reconciled, once: later rounds leave it alone; the
// client's webhook hears reconciliation.completed.
func TestDailyReconcilerRetriesUntilReady(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	today := payment.BillDayOf(time.Now())
	clock.Add(today.AddDays(1).Start().Add(10 * time.Hour).Sub(clock.Now()))
	e := newEnv(t, envConfig{clock: clock})
	e.create("daily_1")
	e.pay("daily_1")
	waitFor(t, "payment recorded", func() bool { return e.order("daily_1").Status == payment.StatusPaid })
	e.svc.SetBillSource(e.ch)
	rec := tracetest.NewSpanRecorder()
	d := NewDailyReconciler(e.svc, DailyConfig{Clock: clock, TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))})
	if ran, err := d.runOnce(bg); !ran || err != nil {
		t.Fatalf("first round: %v, %v", ran, err)
	}
	run, err := e.store.LastReconRun(bg, today)
	if err != nil || run.Status != payment.RunNotReady || run.Trigger != payment.TriggerSchedule {
		t.Fatalf("first run %+v, %v", run, err)
	}
	e.svc.SetBillSource(controlBills{e})
	clock.Add(29 * time.Minute)
	if ran, _ := d.runOnce(bg); ran {
		t.Fatal("ran before the retry time")
	}
	clock.Add(time.Minute)
	if ran, err := d.runOnce(bg); !ran || err != nil {
		t.Fatalf("retry: %v, %v", ran, err)
	}
	run, err = e.store.LastReconRun(bg, today)
	if err != nil || run.Status != payment.RunCompleted || run.Found != 0 || run.Totals.Bill.TradeCount != 1 {
		t.Fatalf("retry run %+v, %v", run, err)
	}
	// Each run is a span, the not-ready one an error; the completed run's event is in its trace.
	var spans []sdktrace.ReadOnlySpan
	var names []string
	for _, sp := range rec.Ended() {
		names = append(names, sp.Name())
		if sp.Name() == "reconciliation.day" {
			spans = append(spans, sp)
		}
	}
	t.Logf("spans of the two runs: %v", names)
	if len(spans) != 2 || spans[0].Status().Code != codes.Error ||
		spans[1].Status().Code != codes.Unset || spanAttrs(spans[1])["f2fpay.date"] != string(today) {
		t.Fatalf("spans %v", spans)
	}
	if evs, _ := e.store.ListEvents(bg, "", 0, 100); len(evs) == 0 ||
		!strings.Contains(evs[len(evs)-1].TraceParent, spans[1].SpanContext().TraceID().String()) {
		t.Errorf("the reconciliation.completed event is not in the run's trace: %+v", evs)
	}
	clock.Add(3 * time.Hour)
	if ran, _ := d.runOnce(bg); ran {
		t.Fatal("a reconciled day ran again")
	}
	// The completed run reaches the client's webhook like any event of the outbox.
	if _, err := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock}).runOnce(bg); err != nil {
		t.Fatal(err)
	}
	var recon []payment.ReconciliationObject
	for _, h := range e.recv.got() {
		if ev := decodeEvent(t, h.Body); ev.Type == payment.EventReconciliationCompleted {
			var o payment.ReconciliationObject
			if err := json.Unmarshal(ev.Data, &o); err != nil {
				t.Fatal(err)
			}
			recon = append(recon, o)
		}
	}
	if len(recon) != 1 || recon[0].RunID != run.ID || recon[0].Date != today || recon[0].Status != payment.RunCompleted ||
		recon[0].Totals.Books.TradeCount != 1 || recon[0].Trigger != payment.TriggerSchedule {
		t.Fatalf("reconciliation.completed webhooks %+v", recon)
	}
	runs, _ := e.store.ListReconRuns(bg, 0, 10)
	if len(runs) != 2 {
		t.Fatalf("%d runs, want the not-ready one and the completed one", len(runs))
	}
}

// TestDailyReconcilerOneInstance: several instances at reconcile.at: exactly one takes
// the day.
func TestDailyReconcilerOneInstance(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	e.svc.SetBillSource(controlBills{e})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := 0
	for range 4 {
		d := NewDailyReconciler(e.svc, DailyConfig{Clock: clock})
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := d.runOnce(bg)
			if err != nil {
				t.Errorf("runOnce: %v", err)
			}
			if ok {
				mu.Lock()
				ran++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	runs, _ := e.store.ListReconRuns(bg, 0, 10)
	if ran != 1 || len(runs) != 1 {
		t.Fatalf("%d instances ran, %d runs", ran, len(runs))
	}
}
