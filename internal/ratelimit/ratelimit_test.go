package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

// clock is a settable time source shared by a Memory store and the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestMemoryBurstThenRate(t *testing.T) {
	t.Parallel()
	clk := newClock()
	m := ratelimit.NewMemory(clk.now)
	ctx := context.Background()
	l := ratelimit.Limit{Rate: 10, Burst: 5}
	for i := range 5 {
		if ok, _, _ := m.Allow(ctx, "k", l); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, retry, err := m.Allow(ctx, "k", l)
	if ok || err != nil {
		t.Fatalf("sixth request: ok=%v err=%v, want refused", ok, err)
	}
	if retry <= 0 || retry > 100*time.Millisecond {
		t.Fatalf("retry after %v, want (0, 100ms]", retry)
	}
	// Refused requests must not eat future tokens: after 100 ms exactly one is back.
	for range 50 {
		m.Allow(ctx, "k", l)
	}
	clk.add(100 * time.Millisecond)
	if ok, _, _ := m.Allow(ctx, "k", l); !ok {
		t.Fatal("token refilled after 1/rate was refused: refused requests consumed tokens")
	}
	if ok, _, _ := m.Allow(ctx, "k", l); ok {
		t.Fatal("second request after one refill period admitted")
	}
	// Another key has its own bucket.
	if ok, _, _ := m.Allow(ctx, "other", l); !ok {
		t.Fatal("independent key refused")
	}
}

func TestMemoryLimitChangeAndSweep(t *testing.T) {
	t.Parallel()
	clk := newClock()
	m := ratelimit.NewMemory(clk.now)
	ctx := context.Background()
	m.Allow(ctx, "a", ratelimit.Limit{Rate: 1, Burst: 1})
	if ok, _, _ := m.Allow(ctx, "a", ratelimit.Limit{Rate: 1, Burst: 1}); ok {
		t.Fatal("burst 1 admitted two requests")
	}
	clk.add(2 * time.Second)
	// Raising the burst applies to the existing bucket.
	n := 0
	for range 10 {
		if ok, _, _ := m.Allow(ctx, "a", ratelimit.Limit{Rate: 1, Burst: 3}); ok {
			n++
		}
	}
	if n < 1 || n > 3 {
		t.Fatalf("after raising burst to 3: %d admitted, want 1..3", n)
	}
	if ok, _, _ := m.Allow(ctx, "zero", ratelimit.Limit{Rate: 1, Burst: 0}); ok {
		t.Fatal("burst 0 admitted a request")
	}
	clk.add(11 * time.Minute)
	m.Allow(ctx, "fresh", ratelimit.Limit{Rate: 1, Burst: 1})
	if got := m.Len(); got != 1 {
		t.Fatalf("%d buckets after idle sweep, want 1", got)
	}
}

func TestPolicyClientOverrideAndIP(t *testing.T) {
	t.Parallel()
	clk := newClock()
	p := ratelimit.NewPolicy(ratelimit.NewMemory(clk.now), ratelimit.Config{ClientRate: 5, ClientBurst: 5, IPRate: 2, IPBurst: 2})
	ctx := context.Background()
	count := func(f func() bool) int {
		n := 0
		for range 100 {
			if f() {
				n++
			}
		}
		return n
	}
	plain := &payment.Merchant{AppID: "app_plain"}
	special := &payment.Merchant{AppID: "app_special", RateLimit: 20, RateBurst: 30}
	if n := count(func() bool { ok, _ := p.Allow(ctx, plain); return ok }); n != 5 {
		t.Fatalf("default client admitted %d of 100 at once, want 5", n)
	}
	if n := count(func() bool { ok, _ := p.Allow(ctx, special); return ok }); n != 30 {
		t.Fatalf("client with burst override 30 admitted %d, want 30", n)
	}
	if n := count(func() bool { ok, _ := p.AllowIP(ctx, ratelimit.RoutePublic, "192.0.2.1"); return ok }); n != 2 {
		t.Fatalf("IP admitted %d, want 2", n)
	}
	if ok, retry := p.AllowIP(ctx, ratelimit.RoutePublic, "192.0.2.1"); ok || retry <= 0 {
		t.Fatalf("exhausted IP: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := p.AllowIP(ctx, ratelimit.RoutePublic, "192.0.2.2"); !ok {
		t.Fatal("a second IP shares the first one's bucket")
	}
	if n := count(func() bool { ok, _ := p.AllowIP(ctx, ratelimit.RouteNotify, "192.0.2.1"); return ok }); n != ratelimit.DefaultNotifyBurst/4 {
		// 100 tries all admitted: the notify bucket (burst 400) is not the pages' bucket
		if n != 100 {
			t.Fatalf("notify admitted %d of 100 from an IP whose page bucket is empty", n)
		}
	}
	if got := p.ClientLimit(&payment.Merchant{RateLimit: 7}); got != (ratelimit.Limit{Rate: 7, Burst: 7}) {
		t.Fatalf("override without burst = %+v, want rate 7 burst 7", got)
	}
	if got := p.ClientLimit(plain); got != (ratelimit.Limit{Rate: 5, Burst: 5}) {
		t.Fatalf("default limit = %+v", got)
	}
}

type failingStore struct{}

func (failingStore) Allow(context.Context, string, ratelimit.Limit) (bool, time.Duration, error) {
	return false, 0, errors.New("redis: connection refused")
}

func TestPolicyFailsOpenAndCanBeOff(t *testing.T) {
	t.Parallel()
	p := ratelimit.NewPolicy(failingStore{}, ratelimit.Config{})
	if ok, _ := p.Allow(context.Background(), &payment.Merchant{AppID: "a"}); !ok {
		t.Fatal("a store failure refused the request; the limiter must fail open")
	}
	off := ratelimit.NewPolicy(ratelimit.NewMemory(nil), ratelimit.Config{IPRate: -1})
	for range 1000 {
		if ok, _ := off.AllowIP(context.Background(), ratelimit.RoutePublic, "192.0.2.9"); !ok {
			t.Fatal("IP limit switched off with a negative rate still refused")
		}
	}
	def := ratelimit.NewPolicy(ratelimit.NewMemory(nil), ratelimit.Config{})
	if got := def.ClientLimit(nil); got != (ratelimit.Limit{Rate: ratelimit.DefaultClientRate, Burst: ratelimit.DefaultClientBurst}) {
		t.Fatalf("defaults = %+v", got)
	}
}

func TestPeekTakesNothing(t *testing.T) {
	t.Parallel()
	clk := newClock()
	m := ratelimit.NewMemory(clk.now)
	p := ratelimit.NewPolicy(m, ratelimit.Config{ClientRate: 1, ClientBurst: 1})
	ctx := context.Background()
	c := &payment.Merchant{AppID: "app_peek"}
	if ok, _ := p.PeekClient(ctx, c.AppID); !ok {
		t.Fatal("a client without a bucket peeks as limited")
	}
	if ok, _ := p.Allow(ctx, c); !ok {
		t.Fatal("first request refused")
	}
	ok, retry := p.PeekClient(ctx, c.AppID)
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("empty bucket peeks ok=%v retry=%v", ok, retry)
	}
	clk.add(time.Second)
	for range 100 { // peeking a full bucket many times must not empty it
		if ok, _ := p.PeekClient(ctx, c.AppID); !ok {
			t.Fatal("refilled bucket peeks as limited")
		}
	}
	if ok, _ := p.Allow(ctx, c); !ok {
		t.Fatal("peeks consumed the token")
	}
	if ok, _ := ratelimit.NewPolicy(failingStore{}, ratelimit.Config{}).PeekClient(ctx, "a"); !ok {
		t.Fatal("a store that cannot peek must answer ok")
	}
}
