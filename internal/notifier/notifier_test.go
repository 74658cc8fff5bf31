package notifier

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// memOrders is an OrderReader over a map that tests change behind the notifier's back.
type memOrders struct {
	mu sync.Mutex
	m  map[string]payment.Order
}

func (r *memOrders) GetOrder(_ context.Context, no string) (*payment.Order, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.m[no]
	if !ok {
		return nil, payment.ErrNotFound
	}
	return &o, nil
}

func (r *memOrders) set(o payment.Order) {
	r.mu.Lock()
	r.m[o.OutTradeNo] = o
	r.mu.Unlock()
}

func setup(t *testing.T, opts ...Option) (*Notifier, *memOrders, *payment.Order) {
	t.Helper()
	r := &memOrders{m: map[string]payment.Order{}}
	o := payment.Order{OutTradeNo: "o1", Status: payment.StatusPending}
	r.set(o)
	return New(r, opts...), r, &o
}

func TestPublishWakesWaiterAtOnce(t *testing.T) {
	t.Parallel()
	n, r, o := setup(t)
	done := make(chan *payment.Order)
	go func() {
		got, _ := n.WaitSettled(context.Background(), o, 30*time.Second)
		done <- got
	}()
	waitFor(t, func() bool { return n.Waiting() == 1 })
	paid := *o
	paid.Status = payment.StatusPaid
	r.set(paid)
	start := time.Now()
	n.Publish(&paid)
	select {
	case got := <-done:
		if got.Status != payment.StatusPaid {
			t.Fatalf("status %s, want paid", got.Status)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("answered %v after the change, want < 100ms", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("waiter not woken")
	}
	waitFor(t, func() bool { return n.Waiting() == 0 })
}

func TestChangeBeforeWaitIsNotMissed(t *testing.T) {
	t.Parallel()
	n, r, o := setup(t)
	paid := *o
	paid.Status = payment.StatusClosed
	r.set(paid) // committed after the handler's read, before WaitSettled subscribed
	start := time.Now()
	got, err := n.WaitSettled(context.Background(), o, 10*time.Second)
	if err != nil || got.Status != payment.StatusClosed {
		t.Fatalf("got %v %v, want closed", got, err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("waited although the order had settled")
	}
}

func TestTimeoutAndPendingChanges(t *testing.T) {
	t.Parallel()
	n, _, o := setup(t)
	go func() {
		waitFor(t, func() bool { return n.Waiting() == 1 })
		qr := *o
		qr.QRCode = "https://qr.example/1" // a change that leaves it pending
		n.Publish(&qr)
	}()
	start := time.Now()
	got, err := n.WaitSettled(context.Background(), o, 300*time.Millisecond)
	if err != nil || got.Status != payment.StatusPending {
		t.Fatalf("got %v %v, want pending", got, err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("returned after %v, before the timeout", d)
	}
}

func TestContextEndsWait(t *testing.T) {
	t.Parallel()
	n, _, o := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	got, _ := n.WaitSettled(ctx, o, time.Minute)
	if got.Status != payment.StatusPending || n.Waiting() != 0 {
		t.Fatalf("status %s waiting %d", got.Status, n.Waiting())
	}
}

func TestRecheckSeesOtherInstances(t *testing.T) {
	t.Parallel()
	n, r, o := setup(t, WithRecheck(20*time.Millisecond))
	go func() {
		waitFor(t, func() bool { return n.Waiting() == 1 })
		paid := *o
		paid.Status = payment.StatusPaid
		r.set(paid) // no Publish: another instance changed it
	}()
	got, err := n.WaitSettled(context.Background(), o, 10*time.Second)
	if err != nil || got.Status != payment.StatusPaid {
		t.Fatalf("got %v %v, want paid", got, err)
	}
}

func TestSubscriptionKeepsLatest(t *testing.T) {
	t.Parallel()
	n, _, o := setup(t)
	sub := n.Subscribe(o.OutTradeNo)
	defer sub.Close()
	other := n.Subscribe("other")
	for _, st := range []payment.Status{payment.StatusPaid, payment.StatusRefunded} {
		c := *o
		c.Status = st
		n.Publish(&c)
	}
	if got := <-sub.C; got.Status != payment.StatusRefunded {
		t.Fatalf("got %s, want the latest (refunded)", got.Status)
	}
	select {
	case got := <-other.C:
		t.Fatalf("other order's subscriber got %v", got)
	default:
	}
	other.Close()
	other.Close()
	if n.Waiting() != 1 {
		t.Fatalf("waiting %d, want 1", n.Waiting())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	if !testutil.Eventually(0, cond) {
		t.Error("condition not met")
	}
}

func TestParkAnswersOnChangeTimeoutAndAtOnce(t *testing.T) {
	t.Parallel()
	n, r, o := setup(t)
	answers := make(chan *payment.Order, 3)
	answer := func(o *payment.Order) { answers <- o }

	n.Park(o, time.Minute, answer) // answered by a change
	if n.Waiting() != 1 {
		t.Fatalf("waiting %d, want 1 parked", n.Waiting())
	}
	paid := *o
	paid.Status = payment.StatusPaid
	n.Publish(&paid)
	if got := <-answers; got.Status != payment.StatusPaid || n.Waiting() != 0 {
		t.Fatalf("got %s, waiting %d", got.Status, n.Waiting())
	}

	start := time.Now()
	n.Park(o, 50*time.Millisecond, answer) // answered by its timer, still pending
	if got := <-answers; got.Status != payment.StatusPending || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("timer answer %s after %v", got.Status, time.Since(start))
	}

	r.set(paid) // settled before parking: answered at once
	n.Park(o, time.Minute, answer)
	select {
	case got := <-answers:
		if got.Status != payment.StatusPaid {
			t.Fatalf("got %s", got.Status)
		}
	case <-time.After(time.Second):
		t.Fatal("a query parked on a settled order was not answered")
	}
	if n.Waiting() != 0 {
		t.Fatalf("waiting %d after every answer", n.Waiting())
	}
}
