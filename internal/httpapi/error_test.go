package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/breaker"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// TestCreateWhileBreakerOpen: with the circuit breaker around the real channel, an unknown
// outcome answers 503 as always (no Retry-After: nobody knows when Alipay is back); once the
// breaker is open, a create answers 503 UPSTREAM_UNAVAILABLE with Retry-After in whole
// seconds, at most the open period, and never reaches the sandbox.
func TestCreateWhileBreakerOpen(t *testing.T) {
	const openFor = time.Minute
	var br *breaker.Channel
	b := setup(t, func(o *setupOptions) {
		o.wrapChannel = func(ch payment.Channel) payment.Channel {
			var err error
			if br, err = breaker.New(ch, breaker.Config{Failures: 1, OpenFor: openFor}); err != nil {
				t.Fatal(err)
			}
			return br
		}
	})
	create := func(no string) rawResponse {
		return b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create",
			body: []byte(`{"out_trade_no":"` + no + `","total_amount":"9.90","subject":"breaker"}`)})
	}
	b.sb.SetFaults(sandbox.Faults{Seed: 1, GatewaySystemError: 1, Methods: []string{"alipay.trade.precreate"}})
	r := create("brk_1")
	wantError(t, r, http.StatusServiceUnavailable, "UPSTREAM_UNAVAILABLE", "")
	if h := r.header.Get("Retry-After"); h != "" {
		t.Errorf("Retry-After %q on an unknown outcome, want none", h)
	}
	if br.State() != breaker.Open {
		t.Fatalf("breaker %s after the unknown outcome, want open", br.State())
	}
	b.sb.ClearFaults() // a create that reached the sandbox now would succeed
	r = create("brk_2")
	wantError(t, r, http.StatusServiceUnavailable, "UPSTREAM_UNAVAILABLE", "circuit breaker")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > int(openFor/time.Second) {
		t.Fatalf("Retry-After %q, want whole seconds in 1..%d", r.header.Get("Retry-After"), int(openFor/time.Second))
	}
	if tr, ok := b.sb.Trade(alipayAppID, "brk_2"); ok {
		t.Fatalf("the create while open reached the sandbox: %+v", tr)
	}
}
