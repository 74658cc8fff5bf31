package worker

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// TestPurgeRules drives the purge with an injected clock over a real SQLite store: nonces
// go as soon as they expire (15 minutes), audit rows once older than Audit unless their
// order is still in progress, a long backlog spreads over several purges of MaxBatches,
// and orders and events stay.
func TestPurgeRules(t *testing.T) {
	st, err := sqlite.Open(bg, filepath.Join(t.TempDir(), "f2fpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := newFakeClock()
	start := clock.Now()
	const audit = 30 * 24 * time.Hour
	p := NewPurger(st, PurgeConfig{Audit: audit, Batch: 2, MaxBatches: 2, Clock: clock})

	for i, no := range []string{"p-done", "p-open"} {
		o := &payment.Order{ClientID: "app", OutTradeNo: no, TotalAmount: 100, Subject: "s", Status: payment.StatusPaid,
			CashierToken: "tok-" + no, CreatedAt: start, UpdatedAt: start, ExpiresAt: start.Add(time.Hour)}
		if i == 1 {
			o.Status, o.NextCheckAt = payment.StatusPending, &start
		}
		if err := st.InsertOrder(bg, o); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 { // five old notifications of the finished order, one of the open one
		if err := st.InsertNotification(bg, &payment.NotificationRecord{ReceivedAt: start, OutTradeNo: "p-done", Raw: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := st.InsertChannelCall(bg, &payment.ChannelCall{OutTradeNo: "p-done", Method: "m", CreatedAt: start}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			_ = st.InsertNotification(bg, &payment.NotificationRecord{ReceivedAt: start, OutTradeNo: "p-open", Raw: "x"})
		}
	}
	svc := payment.NewService(st, nil, nil, clock, payment.Config{}, nil)
	for i := range 3 {
		if err := svc.UseNonce(bg, "app", "nonce-"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}

	run := func(what string, want PurgeCounts) {
		t.Helper()
		got, err := p.runOnce(bg)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got != want {
			t.Errorf("%s: purged %+v, want %+v", what, got, want)
		}
	}
	run("at once", PurgeCounts{})
	clock.Add(payment.NonceWindow - time.Second)
	run("before the nonces expire", PurgeCounts{})
	if err := svc.UseNonce(bg, "app", "nonce-a"); err == nil {
		t.Fatal("a nonce was accepted twice within its window")
	}
	clock.Add(time.Second)
	run("once they expire", PurgeCounts{Nonces: 3})
	clock.Add(audit - payment.NonceWindow)
	run("exactly the audit age", PurgeCounts{})
	clock.Add(time.Second)
	// Batches of 2, at most 2 a purge: the backlog of 5 goes in two purges.
	run("past the audit age", PurgeCounts{Notifications: 4, ChannelCalls: 4})
	run("the rest of the backlog", PurgeCounts{Notifications: 1, ChannelCalls: 1})
	run("nothing left", PurgeCounts{})
	ns, err := st.ListNotifications(bg, "p-open", 10)
	if err != nil || len(ns) != 1 {
		t.Errorf("the open order's notification: %d rows, %v; want it kept", len(ns), err)
	}
	for _, no := range []string{"p-done", "p-open"} {
		if _, err := st.GetOrder(bg, no); err != nil {
			t.Errorf("order %s: %v", no, err)
		}
	}
}
