// Package worker runs f2fpay's background jobs over the payment core: the webhook
// dispatcher, which delivers the events outbox to merchants (docs/api.md, Webhooks), and the reconciler,
// which queries Alipay for pending orders and refunds, closes expired orders and refunds
// late payments (docs/decisions.md, Reconciler and webhooks).
//
// Both share their work with other instances through the store: due rows are claimed with
// a lease in one atomic statement, so two workers never take the same row and a crashed
// worker's claims come back when the lease ends. Both run on an injected payment.Clock, and
// tests drive them one round at a time with runOnce.
package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"sync"
	"time"
)

// loop is the scheduling shared by both workers: run a round, then wait for a wake-up, a
// tick or a freed slot; stop on ctx.
type loop struct {
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
}

func newLoop() loop { return loop{wake: make(chan struct{}, 1)} }

// poke asks for a round now; it never blocks.
func (l *loop) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// start runs round every poll interval and on every poke until stop. round reports
// whether it should run again at once (it found more work than it took).
func (l *loop) start(ctx context.Context, poll time.Duration, round func(ctx context.Context) bool, freed <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done != nil {
		return
	}
	ctx, l.cancel = context.WithCancel(ctx)
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			if ctx.Err() == nil && round(ctx) {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-l.wake:
			case <-t.C:
			case <-freed:
			}
		}
	}()
}

// stop ends the loop and waits for it; started work is the caller's to wait for.
func (l *loop) stop() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// instanceID names this process in leases: host, pid and a random suffix.
func instanceID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
}
