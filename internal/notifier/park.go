package notifier

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// parked is a held query that no goroutine waits for: a change or its timer answers it.
type parked struct {
	key    string
	answer func(*payment.Order)
	timer  *time.Timer
}

// Park holds a query on a pending order without a goroutine: answer is called once, on a
// goroutine of its own, with the order as soon as it leaves pending, or as it is when
// timeout passes. Like WaitSettled it reads the order again after registering, so a change
// in between is not missed. The caller keeps nothing running while the order waits, which
// is what lets thousands of devices wait at almost no cost (bench/waitrss).
func (n *Notifier) Park(o *payment.Order, timeout time.Duration, answer func(*payment.Order)) {
	p := &parked{key: o.OutTradeNo, answer: answer}
	n.mu.Lock()
	set := n.parked[p.key]
	if set == nil {
		set = map[*parked]struct{}{}
		n.parked[p.key] = set
	}
	set[p] = struct{}{}
	n.n++
	p.timer = time.AfterFunc(timeout, func() {
		if n.unpark(p) {
			cur, _ := n.reread(context.Background(), o)
			answer(cur)
		}
	})
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cur, err := n.orders.GetOrder(ctx, o.OutTradeNo); err == nil && cur.Status != payment.StatusPending && n.unpark(p) {
		go answer(cur)
	}
}

// unpark removes p; false when something else answered it already.
func (n *Notifier) unpark(p *parked) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	set := n.parked[p.key]
	if _, ok := set[p]; !ok {
		return false
	}
	delete(set, p)
	if len(set) == 0 {
		delete(n.parked, p.key)
	}
	n.n--
	p.timer.Stop()
	return true
}

// settleParked answers the parked queries of o, which is no longer pending; n.mu is held.
func (n *Notifier) settleParked(o *payment.Order) {
	for p := range n.parked[o.OutTradeNo] {
		delete(n.parked[o.OutTradeNo], p)
		n.n--
		p.timer.Stop()
		go p.answer(o)
	}
	delete(n.parked, o.OutTradeNo)
}
