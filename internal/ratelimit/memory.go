package ratelimit

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// idleAfter is how long an unused bucket is kept; a bucket idle that long has refilled, so
// forgetting it changes nothing but memory.
const idleAfter = 10 * time.Minute

// Memory is a Store of golang.org/x/time/rate token buckets in this process. It fits one
// instance; several instances behind a balancer need a shared Store.
type Memory struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// NewMemory returns an empty in-memory store; now is its clock (nil = time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, buckets: map[string]*bucket{}}
}

// Allow implements Store. It never fails.
func (m *Memory) Allow(_ context.Context, key string, l Limit) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	b := m.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.Rate), l.Burst)}
		m.buckets[key] = b
	}
	b.used = now
	if b.lim.Limit() != rate.Limit(l.Rate) {
		b.lim.SetLimitAt(now, rate.Limit(l.Rate))
	}
	if b.lim.Burst() != l.Burst {
		b.lim.SetBurstAt(now, l.Burst)
	}
	r := b.lim.ReserveN(now, 1)
	if !r.OK() { // a burst of 0 never admits anything
		return false, time.Minute, nil
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // the refused request must not consume a future token
		return false, d, nil
	}
	return true, 0, nil
}

// Peek implements Peeker: false when the bucket of key holds less than one token now.
func (m *Memory) Peek(_ context.Context, key string) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[key]
	if b == nil {
		return true, 0, nil
	}
	tokens := b.lim.TokensAt(now)
	if tokens >= 1 {
		return true, 0, nil
	}
	if b.lim.Limit() <= 0 {
		return false, time.Minute, nil
	}
	return false, time.Duration((1 - tokens) / float64(b.lim.Limit()) * float64(time.Second)), nil
}

// Len reports how many buckets are held (for tests and metrics).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}

// sweep drops idle buckets at most once a minute, so that a flood of distinct IPs cannot
// grow the map without bound for longer than idleAfter.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.swept) < time.Minute {
		return
	}
	m.swept = now
	for k, b := range m.buckets {
		if now.Sub(b.used) > idleAfter {
			delete(m.buckets, k)
		}
	}
}
