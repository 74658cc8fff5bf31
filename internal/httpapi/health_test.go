package httpapi_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/f2fpay/f2fpay/client"
)

// testVersion is the build every test gateway reports on /health.
const testVersion = "v0.0.0-test"

// TestReadyWhileDraining: once the gateway drains, /ready answers 503 "draining" while
// /health and the merchant API still answer, so only new work is turned away.
func TestReadyWhileDraining(t *testing.T) {
	t.Parallel()
	var draining atomic.Bool
	b := setup(t, func(o *setupOptions) { o.draining = draining.Load })
	if r := get(t, b.srv.URL+"/ready"); r.status != http.StatusOK {
		t.Fatalf("/ready before draining: %d %s", r.status, r.body)
	}
	draining.Store(true)
	if r := get(t, b.srv.URL+"/ready"); r.status != http.StatusServiceUnavailable || string(r.body) != `{"status":"draining"}` {
		t.Fatalf("/ready while draining: %d %s", r.status, r.body)
	}
	if r := get(t, b.srv.URL+"/health"); r.status != http.StatusOK || string(r.body) != `{"status":"ok","version":"`+testVersion+`"}` {
		t.Fatalf("/health while draining: %d %s", r.status, r.body)
	}
	if _, err := b.client.List(t.Context(), client.ListOptions{}); err != nil {
		t.Fatalf("the merchant API while draining: %v", err)
	}
	draining.Store(false)
	if r := get(t, b.srv.URL+"/ready"); r.status != http.StatusOK {
		t.Fatalf("/ready after draining ended: %d %s", r.status, r.body)
	}
}
