package app

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestStopAnswersHeldQueries: a `?wait=60` query parked on a pending order is answered when
// the gateway stops, with the order as it is, rather than dropped or waited out.
func TestStopAnswersHeldQueries(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	if _, _, err := b.client.Create(t.Context(), client.CreateRequest{OutTradeNo: "held_1", TotalAmount: "1.00", Subject: "s"}); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		p   *client.Payment
		err error
	}
	answers := make(chan answer, 1)
	go func() {
		p, err := b.client.Query(context.Background(), "held_1", client.QueryOptions{Wait: 60 * time.Second})
		answers <- answer{p, err}
	}()
	testutil.WaitFor(t, 0, "the query to be held", func() bool { return b.app.notes.Waiting() == 1 })
	stop(t, b.app)
	// The query's own 60 s have not passed when this gives up: only the stop can answer it.
	testutil.WaitFor(t, 30*time.Second, "the held query to be answered", func() bool { return len(answers) == 1 })
	if a := <-answers; a.err != nil || a.p.Status != "pending" {
		t.Fatalf("held query answered %+v, %v; want the pending order", a.p, a.err)
	}
}

// TestDrainEndsWaitSettled: a query waiting in its handler (HTTP/2 cannot park) returns the
// order as it is when drain comes, and later waits return at once.
func TestDrainEndsWaitSettled(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	p, _, err := b.client.Create(t.Context(), client.CreateRequest{OutTradeNo: "held_2", TotalAmount: "1.00", Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	st := b.app.Store()
	o, err := st.GetOrder(t.Context(), p.OutTradeNo)
	if err != nil {
		t.Fatal(err)
	}
	w := newDrainWaiter(notifier.New(st), st)
	got := make(chan *payment.Order, 1)
	go func() {
		cur, err := w.WaitSettled(context.Background(), o, time.Hour)
		if err != nil {
			t.Error(err)
		}
		got <- cur
	}()
	w.drain()
	if cur := <-got; cur == nil || cur.Status != payment.StatusPending {
		t.Fatalf("after drain: %+v", cur)
	}
	if cur, err := w.WaitSettled(context.Background(), o, time.Hour); err != nil || cur.Status != payment.StatusPending {
		t.Fatalf("wait after drain: %+v %v", cur, err)
	}
	answered := make(chan *payment.Order, 1)
	w.Park(o, time.Hour, func(cur *payment.Order) { answered <- cur })
	if cur := <-answered; cur.OutTradeNo != "held_2" {
		t.Fatalf("park after drain answered %+v", cur)
	}
	if err := w.wait(t.Context()); err != nil {
		t.Fatal(err)
	}
}
