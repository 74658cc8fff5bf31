package httpapi_test

import (
	"net/http"
	"testing"
	"time"
)

type observation struct {
	method, route string
	status        int
}

// TestObserveByRoutePattern: every request is observed with its route pattern, never the
// raw path, so that metrics labels stay bounded.
func TestObserveByRoutePattern(t *testing.T) {
	t.Parallel()
	seen := make(chan observation, 16)
	b := setup(t, func(o *setupOptions) {
		o.observe = func(method, route string, status int, d time.Duration) {
			if d < 0 {
				t.Errorf("negative duration %v", d)
			}
			seen <- observation{method, route, status}
		}
	})
	get(t, b.srv.URL+"/health")
	get(t, b.srv.URL+"/api/v1/payment/query/ORDER-123") // unsigned: 401
	get(t, b.srv.URL+"/nowhere/ORDER-123")
	want := []observation{
		{http.MethodGet, "/health", http.StatusOK},
		{http.MethodGet, "/api/v1/payment/query/:out_trade_no", http.StatusUnauthorized},
		{http.MethodGet, "", http.StatusNotFound},
	}
	got := map[observation]bool{} // each request's observation follows its answer, in any order
	for range want {
		select {
		case o := <-seen:
			got[o] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d observations: %v", len(got), got)
		}
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no observation %+v in %v", w, got)
		}
	}
}
