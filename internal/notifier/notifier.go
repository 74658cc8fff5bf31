// Package notifier is the gateway's in-process change feed. The payment service publishes
// every committed order change into it (payment.Service.OnChange); the merchant API's
// `?wait=N` and the cashier's live status subscribe to one order each. A waiting request
// costs one goroutine (its own HTTP handler's) and a buffered channel: nothing polls.
//
// It sees the changes of this process only. Behind a load balancer with several instances,
// a change made by another instance reaches waiters when their wait ends and the order is
// read again, or at the next Recheck interval.
package notifier

import (
	"context"
	"sync"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// OrderReader reads an order afresh; payment.Store satisfies it.
type OrderReader interface {
	GetOrder(ctx context.Context, outTradeNo string) (*payment.Order, error)
}

// Notifier fans committed order changes out to the subscribers of each order.
type Notifier struct {
	orders  OrderReader
	recheck time.Duration

	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{} // by out_trade_no
	parked map[string]map[*parked]struct{}       // by out_trade_no (park.go)
	n      int                                   // subscriptions and parked queries
}

// Option tunes a Notifier.
type Option func(*Notifier)

// WithRecheck makes WaitSettled read the order again every d while it waits, for changes
// made by other instances. 0 (the default) never rechecks before the timeout.
func WithRecheck(d time.Duration) Option { return func(n *Notifier) { n.recheck = d } }

// New returns a Notifier that reads orders through orders when a wait starts and ends.
func New(orders OrderReader, opts ...Option) *Notifier {
	n := &Notifier{orders: orders, subs: map[string]map[*Subscription]struct{}{}, parked: map[string]map[*parked]struct{}{}}
	for _, o := range opts {
		o(n)
	}
	return n
}

// Subscription receives the changes of one order. C holds at most the latest change not
// yet received: a slow reader skips intermediate states, never the last one.
type Subscription struct {
	C   <-chan *payment.Order
	c   chan *payment.Order
	key string
	n   *Notifier
}

// Subscribe starts listening for changes of the order outTradeNo. Call Close when done.
func (n *Notifier) Subscribe(outTradeNo string) *Subscription {
	c := make(chan *payment.Order, 1)
	s := &Subscription{C: c, c: c, key: outTradeNo, n: n}
	n.mu.Lock()
	set := n.subs[outTradeNo]
	if set == nil {
		set = map[*Subscription]struct{}{}
		n.subs[outTradeNo] = set
	}
	set[s] = struct{}{}
	n.n++
	n.mu.Unlock()
	return s
}

// Close stops the subscription; it is safe to call more than once.
func (s *Subscription) Close() {
	n := s.n
	n.mu.Lock()
	defer n.mu.Unlock()
	set := n.subs[s.key]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	n.n--
	if len(set) == 0 {
		delete(n.subs, s.key)
	}
}

// Publish hands a committed change to the order's subscribers without blocking. It is
// meant to be registered with payment.Service.OnChange.
func (n *Notifier) Publish(o *payment.Order) {
	if o == nil {
		return
	}
	cp := *o // subscribers must not share the caller's copy
	n.mu.Lock()
	defer n.mu.Unlock()
	for s := range n.subs[o.OutTradeNo] {
		select { // keep only the latest change
		case <-s.c:
		default:
		}
		s.c <- &cp
	}
	if cp.Status != payment.StatusPending {
		n.settleParked(&cp)
	}
}

// Waiting returns how many subscriptions and parked queries are open (metrics, tests).
func (n *Notifier) Waiting() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.n
}

// WaitSettled implements httpapi.Waiter: it returns as soon as the order is no longer
// pending, or when timeout passes or ctx ends, with the order as it then is. It subscribes
// before it reads the order again, so a change between the caller's read and the wait is
// never missed. Errors are the store's (NOT_FOUND cannot happen for an order just read).
func (n *Notifier) WaitSettled(ctx context.Context, o *payment.Order, timeout time.Duration) (*payment.Order, error) {
	sub := n.Subscribe(o.OutTradeNo)
	defer sub.Close()
	cur, err := n.orders.GetOrder(ctx, o.OutTradeNo)
	if err != nil || cur.Status != payment.StatusPending {
		return cur, err
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var tick <-chan time.Time
	if n.recheck > 0 {
		t := time.NewTicker(n.recheck)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case changed := <-sub.C:
			if changed.Status != payment.StatusPending {
				return changed, nil
			}
			cur = changed
		case <-tick:
			if fresh, err := n.orders.GetOrder(ctx, o.OutTradeNo); err == nil {
				if cur = fresh; fresh.Status != payment.StatusPending {
					return fresh, nil
				}
			}
		case <-deadline.C:
			return n.reread(ctx, cur)
		case <-ctx.Done():
			return cur, nil // the client left; what is written no longer matters
		}
	}
}

// reread returns the order as stored now, or last when the read fails.
func (n *Notifier) reread(ctx context.Context, last *payment.Order) (*payment.Order, error) {
	fresh, err := n.orders.GetOrder(ctx, last.OutTradeNo)
	if err != nil {
		return last, nil
	}
	return fresh, nil
}
