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

// TestAuthFailureBudget: 1,000 bad signatures naming a real app id from one source cost
// 20 client reads (the budget); the rest are 429 before any read. Valid requests from the
// same address keep succeeding throughout.
func TestAuthFailureBudget(t *testing.T) {
	t.Parallel()
	b, cs := budgetBundle(t)
	list := rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", header: from("203.0.113.10")}
	if r := b.do(t, list); r.status != http.StatusOK {
		t.Fatalf("first valid request: %d %s", r.status, r.body)
	}
	start := cs.reads.Load()
	status := map[int]int{}
	valid := 0
	for i := range 1000 {
		bad := list
		bad.secret = "sk_forged"
		r := b.do(t, bad)
		status[r.status]++
		if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		if i%100 == 99 {
			if r := b.do(t, list); r.status != http.StatusOK {
				t.Fatalf("valid request during the flood: %d %s", r.status, r.body)
			}
			valid++
		}
	}
	forgedReads := cs.reads.Load() - start - int64(valid)
	t.Logf("1000 bad signatures from one source: %d answered 401, %d answered 429; %d client reads by them; %d valid requests all 200",
		status[401], status[429], forgedReads, valid)
	if status[401] != 20 || status[429] != 980 || forgedReads != 20 {
		t.Fatalf("want 20×401, 980×429 and 20 reads; got %v and %d reads", status, forgedReads)
	}
	if r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", header: from("203.0.113.11")}); r.status != http.StatusOK {
		t.Fatalf("another source: %d", r.status)
	}
}

// TestAuthFailureBudgetIPv6Prefix: rotating the source address inside one /64 does not
// escape the budget; failures that cost no read (a malformed header) are not charged.
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
		r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", secret: "sk_forged",
			header: from(fmt.Sprintf("2001:db8:7:7:%x::%x", i, i+1))})
		status[r.status]++
	}
	if status[401] != 20 || status[429] != 80 || cs.reads.Load() != 20 {
		t.Fatalf("100 forged requests from rotating addresses of one /64: %v, %d reads; want 20×401, 80×429, 20 reads", status, cs.reads.Load())
	}
}
