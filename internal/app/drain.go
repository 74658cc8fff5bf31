package app

import (
	"context"
	"sync"
	"time"

	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// drainWaiter is the notifier as httpapi's Waiter and Parker, plus the one thing a graceful
// stop needs from it: when the listeners are about to close, every held `?wait=N` query is
// answered with the order as it then is (pending), as its timeout would have answered it. A stop then
// neither waits out N seconds nor drops parked connections unanswered; the device asks
// again, by then of another instance or of this one restarted.
type drainWaiter struct {
	notes  *notifier.Notifier
	orders notifier.OrderReader

	drainCtx context.Context    // ends at drain
	drained  context.CancelFunc // ends it
	mu       sync.Mutex
	parked   map[*heldQuery]struct{} // nil after drain
	answers  sync.WaitGroup          // answers written at drain
	pending  int                     // how many drain started
}

// heldQuery is one parked query; whoever removes it from parked answers it.
type heldQuery struct {
	o      *payment.Order
	answer func(*payment.Order)
}

func newDrainWaiter(notes *notifier.Notifier, orders notifier.OrderReader) *drainWaiter {
	ctx, cancel := context.WithCancel(context.Background())
	return &drainWaiter{notes: notes, orders: orders, drainCtx: ctx, drained: cancel, parked: map[*heldQuery]struct{}{}}
}

// WaitSettled waits as the notifier does, but no longer than until drain.
func (w *drainWaiter) WaitSettled(ctx context.Context, o *payment.Order, timeout time.Duration) (*payment.Order, error) {
	held, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(w.drainCtx, cancel)()
	cur, err := w.notes.WaitSettled(held, o, timeout)
	if err != nil && ctx.Err() == nil && held.Err() != nil {
		return o, nil // drain came while the order was read again: answer what we have
	}
	return cur, err
}

// Park parks the query with the notifier, or answers it at once after drain.
func (w *drainWaiter) Park(o *payment.Order, timeout time.Duration, answer func(*payment.Order)) {
	h := &heldQuery{o: o, answer: answer}
	w.mu.Lock()
	if w.parked == nil {
		w.mu.Unlock()
		go answer(o)
		return
	}
	w.parked[h] = struct{}{}
	w.mu.Unlock()
	w.notes.Park(o, timeout, func(cur *payment.Order) {
		if w.take(h) {
			answer(cur)
		}
	})
}

// take removes h; false when drain answered it already.
func (w *drainWaiter) take(h *heldQuery) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.parked[h]; !ok {
		return false
	}
	delete(w.parked, h)
	return true
}

// drain ends every wait now and answers every parked query with its order read again.
func (w *drainWaiter) drain() {
	w.drained()
	w.mu.Lock()
	held := w.parked
	w.parked = nil
	w.pending = len(held)
	w.mu.Unlock()
	for h := range held {
		w.answers.Add(1)
		go func() {
			defer w.answers.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cur, err := w.orders.GetOrder(ctx, h.o.OutTradeNo)
			if err != nil {
				cur = h.o
			}
			h.answer(cur)
		}()
	}
}

// wait waits until the answers drain started are written, or ctx ends.
func (w *drainWaiter) wait(ctx context.Context) error {
	w.mu.Lock()
	pending := w.pending
	w.mu.Unlock()
	if pending == 0 {
		return nil
	}
	done := make(chan struct{})
	go func() { w.answers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
