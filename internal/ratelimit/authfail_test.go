package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

// TestIPv6KeyedByPrefix: rotating addresses inside one /64 draws from one bucket, on the
// public routes, the notify route and the failure budget alike; the prefix is configurable.
func TestIPv6KeyedByPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := ratelimit.NewPolicy(ratelimit.NewMemory(newClock().now), ratelimit.Config{IPRate: 1, IPBurst: 3, NotifyRate: 1, NotifyBurst: 3})
	for _, route := range []string{ratelimit.RoutePublic, ratelimit.RouteNotify} {
		admitted := 0
		for i := range 100 {
			if ok, _ := p.AllowIP(ctx, route, fmt.Sprintf("2001:db8:aa:bb:%x::%x", i, i+1)); ok {
				admitted++
			}
		}
		if admitted != 3 {
			t.Errorf("%s: %d of 100 addresses rotated inside one /64 admitted; want the burst, 3", route, admitted)
		}
		if ok, _ := p.AllowIP(ctx, route, "2001:db8:aa:bc::1"); !ok {
			t.Errorf("%s: the neighbouring /64 shares the bucket", route)
		}
	}
	if ok, _ := p.AllowIP(ctx, ratelimit.RoutePublic, "::ffff:192.0.2.7"); !ok {
		t.Fatal("IPv4-mapped address refused on first use")
	}
	p48 := ratelimit.NewPolicy(ratelimit.NewMemory(newClock().now), ratelimit.Config{IPRate: 1, IPBurst: 1, IPv6Prefix: 48})
	p48.AllowIP(ctx, ratelimit.RoutePublic, "2001:db8:aa:1::1")
	if ok, _ := p48.AllowIP(ctx, ratelimit.RoutePublic, "2001:db8:aa:2::1"); ok {
		t.Fatal("with ipv6_prefix 48, another /64 of the same /48 escaped the limit")
	}
	if got := p48.Source("2001:db8:aa:2::1"); got != "2001:db8:aa::/48" {
		t.Fatalf("Source = %q", got)
	}
}

// TestAuthFailureBudget: failures are charged per source up to the burst, then the source
// is refused before authentication until a token is back; AllowAuthAttempt itself takes
// nothing; other sources are untouched.
func TestAuthFailureBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	p := ratelimit.NewPolicy(ratelimit.NewMemory(clk.now), ratelimit.Config{AuthFailRate: 1, AuthFailBurst: 5})
	for i := range 100 { // peeking never drains
		if ok, _ := p.AllowAuthAttempt(ctx, "203.0.113.5"); !ok {
			t.Fatalf("peek %d refused a source that never failed", i)
		}
	}
	for i := range 5 { // from five addresses of one /64
		p.AuthFailed(ctx, fmt.Sprintf("2001:db8:1:1::%x", i+1))
	}
	ok, retry := p.AllowAuthAttempt(ctx, "2001:db8:1:1:abcd::1")
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("after 5 failures in the /64: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := p.AllowAuthAttempt(ctx, "203.0.113.5"); !ok {
		t.Fatal("another source was refused")
	}
	clk.add(time.Second)
	if ok, _ := p.AllowAuthAttempt(ctx, "2001:db8:1:1::1"); !ok {
		t.Fatal("no attempt allowed after a token came back")
	}
	off := ratelimit.NewPolicy(ratelimit.NewMemory(clk.now), ratelimit.Config{AuthFailRate: -1})
	for range 100 {
		off.AuthFailed(ctx, "203.0.113.6")
	}
	if ok, _ := off.AllowAuthAttempt(ctx, "203.0.113.6"); !ok {
		t.Fatal("a negative rate does not switch the budget off")
	}
}

// allowOnly is a Store that cannot Peek (as the Redis one), over a Memory.
type allowOnly struct {
	mu sync.Mutex
	m  *ratelimit.Memory
}

func (a *allowOnly) Allow(ctx context.Context, key string, l ratelimit.Limit) (bool, time.Duration, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m.Allow(ctx, key, l)
}

// TestAuthFailureBudgetWithoutPeek: over a store that cannot peek, the budget still holds:
// the first refused charge blocks the source for the wait the store named.
func TestAuthFailureBudgetWithoutPeek(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := ratelimit.NewPolicy(&allowOnly{m: ratelimit.NewMemory(nil)}, ratelimit.Config{AuthFailRate: 0.001, AuthFailBurst: 3})
	for range 4 { // the fourth charge is refused by the store
		if ok, _ := p.AllowAuthAttempt(ctx, "198.51.100.1"); !ok {
			t.Fatal("refused before the budget was used up")
		}
		p.AuthFailed(ctx, "198.51.100.1")
	}
	if ok, retry := p.AllowAuthAttempt(ctx, "198.51.100.1"); ok || retry <= 0 {
		t.Fatalf("after the store refused a charge: ok=%v retry=%v", ok, retry)
	}
}
