package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

// countingStore counts the client reads that authentication makes.
type countingStore struct {
	payment.Store
	reads atomic.Int64
}

func (c *countingStore) GetMerchant(ctx context.Context, appID string) (*payment.Merchant, error) {
	c.reads.Add(1)
	return c.Store.GetMerchant(ctx, appID)
}

// fixedClock is a limiter clock that only the test moves.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fixedClock) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }

// budgetBundle is a gateway whose IP limiter budgets failed authentications (burst 20,
// on a clock that stands still) and believes X-Forwarded-For from the test.
func budgetBundle(t *testing.T) (*testBundle, *countingStore) {
	t.Helper()
	clk := &fixedClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	pol := ratelimit.NewPolicy(ratelimit.NewMemory(clk.now), ratelimit.Config{AuthFailRate: 1, AuthFailBurst: 20})
	cs := &countingStore{}
	b := setup(t, func(o *setupOptions) {
		o.ipLimiter = pol
		o.trustedProxies = []string{"127.0.0.1"}
		o.wrapStore = func(s payment.Store) payment.Store { cs.Store = s; return cs }
	})
	return b, cs
}

func from(ip string) func(http.Header) { return func(h http.Header) { h.Set("X-Forwarded-For", ip) } }

// TestAuthFailureBudget: 1,000 bad signatures naming a real app id from one source get
// 20 answers 401 (the budget) and then 429 before any signature is checked; the client's
// row is read from the service's cache, so the flood costs it no read beyond the first.
// 1,000 naming unknown app ids cost 20 reads, then 429 before any read. Valid requests
// from the same address keep succeeding throughout.
func TestAuthFailureBudget(t *testing.T) {
	t.Parallel()
	b, cs := budgetBundle(t)
	list := rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", header: from("203.0.113.10")}
	if r := b.do(t, list); r.status != http.StatusOK {
		t.Fatalf("first valid request: %d %s", r.status, r.body)
	}
	flood := func(bad rawRequest) (map[int]int, int64) {
		start := cs.reads.Load()
		status := map[int]int{}
		for i := range 1000 {
			r := b.do(t, bad)
			status[r.status]++
			if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			if i%100 == 99 {
				if r := b.do(t, list); r.status != http.StatusOK {
					t.Fatalf("valid request during the flood: %d %s", r.status, r.body)
				}
			}
		}
		return status, cs.reads.Load() - start
	}
	forged := list
	forged.secret = "sk_forged"
	status, reads := flood(forged)
	t.Logf("1000 bad signatures from one source: %d answered 401, %d answered 429; %d client reads during the flood; valid requests all 200",
		status[401], status[429], reads)
	if status[401] != 20 || status[429] != 980 {
		t.Fatalf("want 20×401, 980×429; got %v", status)
	}
	unknown := list
	unknown.appID, unknown.header = "app_nobody", from("203.0.113.12")
	cached := cs.reads.Load()
	if r := b.do(t, list); r.status != http.StatusOK || cs.reads.Load() != cached {
		t.Fatalf("valid request: %d, %d reads; want 200 from the cache", r.status, cs.reads.Load()-cached)
	}
	status, reads = flood(unknown)
	t.Logf("1000 unknown app ids from one source: %v; %d reads (the valid requests' included)", status, reads)
	// 20 by the unknown ids; up to 10 more by the valid requests, each of which may find
	// the client's cached entry expired on a slow machine.
	if status[401] != 20 || status[429] != 980 || reads < 20 || reads > 30 {
		t.Fatalf("want 20×401, 980×429 and 20 to 30 reads; got %v and %d reads", status, reads)
	}
	if r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", header: from("203.0.113.11")}); r.status != http.StatusOK {
		t.Fatalf("another source: %d", r.status)
	}
}

// TestAuthFailureBudgetIPv6Prefix: rotating the source address inside one /64 does not
// escape the budget; failures that cost no read (a malformed header) are not charged.
// The app id is unknown, so that every failure before the budget costs a read (a real
// one's row would come from the service's cache).
func TestAuthFailureBudgetIPv6Prefix(t *testing.T) {
	t.Parallel()
	b, cs := budgetBundle(t)
	for i := range 50 {
		b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", ts: "nope", header: from(fmt.Sprintf("2001:db8:7:7::%x", i+1))})
	}
	if n := cs.reads.Load(); n != 0 {
		t.Fatalf("malformed requests read the client %d times", n)
	}
	status := map[int]int{}
	for i := range 100 {
		r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", appID: "app_nobody",
			header: from(fmt.Sprintf("2001:db8:7:7:%x::%x", i, i+1))})
		status[r.status]++
	}
	if status[401] != 20 || status[429] != 80 || cs.reads.Load() != 20 {
		t.Fatalf("100 forged requests from rotating addresses of one /64: %v, %d reads; want 20×401, 80×429, 20 reads", status, cs.reads.Load())
	}
}
