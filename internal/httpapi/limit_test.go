package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

// refuseFirst refuses the first n calls, then admits everything.
type refuseFirst struct{ n, calls atomic.Int64 }

func (l *refuseFirst) Allow(context.Context, *payment.Merchant) (bool, time.Duration) {
	return l.calls.Add(1) > l.n.Load(), 300 * time.Millisecond
}

// A rate-limited request must not burn its nonce: the very same request, resent after
// Retry-After, is served; a third copy is then a replay.
func TestRateLimitedRequestKeepsItsNonce(t *testing.T) {
	t.Parallel()
	l := &refuseFirst{}
	l.n.Store(1)
	b := setup(t, func(o *setupOptions) { o.limiter = l })
	req := rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", nonce: client.NewNonce(),
		ts: strconv.FormatInt(time.Now().Unix(), 10)}
	wantError(t, b.do(t, req), http.StatusTooManyRequests, "RATE_LIMITED", "too many requests")
	if r := b.do(t, req); r.status != http.StatusOK {
		t.Fatalf("resent after 429: %d %s", r.status, r.body)
	}
	wantError(t, b.do(t, req), http.StatusUnauthorized, "UNAUTHORIZED", "nonce already used")
}

func TestPublicRoutesLimitedPerIP(t *testing.T) {
	t.Parallel()
	pol := ratelimit.NewPolicy(ratelimit.NewMemory(nil), ratelimit.Config{IPRate: 0.001, IPBurst: 1, NotifyRate: 0.001, NotifyBurst: 2})
	b := setup(t, func(o *setupOptions) { o.ipLimiter = pol })
	post := func() *http.Response {
		resp, err := http.Post(b.srv.URL+"/notify/alipay", "application/x-www-form-urlencoded", strings.NewReader("a=b"))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for range 2 {
		resp := post()
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("within burst: %d", resp.StatusCode)
		}
	}
	resp := post()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || string(body) != "failure" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %q Retry-After=%q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	// The cashier has its own bucket per IP (burst 1 here) and answers the error object.
	if r := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/pay/sometoken", nil)); r.status == http.StatusTooManyRequests {
		t.Fatal("the notify flood emptied the cashier's bucket")
	}
	r := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/pay/sometoken", nil))
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED", "too many requests")
	// Health and the merchant API are not limited per IP.
	if r := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/health", nil)); r.status != http.StatusOK {
		t.Fatalf("/health limited: %d", r.status)
	}
	if _, err := b.client.List(context.Background(), client.ListOptions{}); err != nil {
		t.Fatalf("merchant API limited per IP: %v", err)
	}
}

func mustRequest(t *testing.T, method, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestOversizedNotificationIsAudited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := "notify_id=big&out_trade_no=X1&" + strings.Repeat("a", 70<<10)
	r := send(t, mustRequest(t, http.MethodPost, b.srv.URL+"/notify/alipay", []byte(body)))
	if r.status != http.StatusRequestEntityTooLarge || string(r.body) != "failure" {
		t.Fatalf("oversized notification: %d %q", r.status, r.body)
	}
	recs, err := b.store.ListNotifications(context.Background(), "", 10)
	if err != nil || len(recs) != 1 {
		t.Fatalf("audit rows %d (%v), want 1", len(recs), err)
	}
	rec := recs[0]
	if !strings.HasPrefix(rec.Raw, "notify_id=big&") || len(rec.Raw) != payment.RefusedHeadBytes ||
		!strings.Contains(rec.Outcome, "refused: body larger") || rec.Verified {
		t.Fatalf("audit row: outcome %q verified %v raw %d bytes %q…", rec.Outcome, rec.Verified, len(rec.Raw), rec.Raw[:20])
	}
}

func TestHygieneAndSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	long := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/api/v1/payment/list?x="+strings.Repeat("a", 5000), nil))
	wantError(t, long, http.StatusRequestURITooLong, "INVALID_PARAMETER", "longer than")
	bad := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/health?q=%ff%fe", nil))
	wantError(t, bad, http.StatusBadRequest, "INVALID_PARAMETER", "UTF-8")
	badPath := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/pay/%c3%28", nil))
	wantError(t, badPath, http.StatusBadRequest, "INVALID_PARAMETER", "UTF-8")
	semi := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/health?a=1;b=2", nil))
	wantError(t, semi, http.StatusBadRequest, "INVALID_PARAMETER", "malformed query")

	h := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/pay/unknown", nil)).header
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	api := send(t, mustRequest(t, http.MethodPost, b.srv.URL+"/notify/alipay", []byte("x=1")))
	if api.header.Get("Cache-Control") != "no-store" {
		t.Errorf("notify Cache-Control %q, want no-store", api.header.Get("Cache-Control"))
	}
	spec := send(t, mustRequest(t, http.MethodGet, b.srv.URL+"/api/openapi.yaml", nil))
	if spec.status != http.StatusOK || !bytes.HasPrefix(spec.body, []byte("openapi: 3.")) {
		t.Fatalf("/api/openapi.yaml: %d %.40q", spec.status, spec.body)
	}
}

func TestDuplicateKeyInAnotherCaseRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := []byte(`{"out_trade_no":"DK1","total_amount":"0.01","subject":"s","Total_Amount":"9.90"}`)
	r := b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create", body: body})
	wantError(t, r, http.StatusBadRequest, "INVALID_PARAMETER", "duplicate field Total_Amount")
	ok := []byte(`{"out_trade_no":"DK2","total_amount":"1.00","subject":"s","metadata":{"a":"1","A":"2"}}`)
	if r := b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create", body: ok}); r.status != http.StatusCreated {
		t.Fatalf("metadata keys differing in case are distinct: %d %s", r.status, r.body)
	}
}

// A client over its limit is refused before authentication, and a forger naming its app
// id takes nothing from its bucket.
func TestPreLimitRefusesBeforeAuthWithoutDraining(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64 // the limiter's clock, moved by the test instead of sleeping
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	pol := ratelimit.NewPolicy(ratelimit.NewMemory(now), ratelimit.Config{ClientRate: 2, ClientBurst: 1})
	b := setup(t, func(o *setupOptions) { o.limiter = pol })
	if r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list"}); r.status != http.StatusOK {
		t.Fatalf("first request: %d %s", r.status, r.body)
	}
	forged := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", secret: "sk_wrong"})
	wantError(t, forged, http.StatusTooManyRequests, "RATE_LIMITED", "too many requests")
	offset.Add(int64(600 * time.Millisecond)) // one token back at 2/s
	for range 20 {
		r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", secret: "sk_wrong"})
		wantError(t, r, http.StatusUnauthorized, "UNAUTHORIZED", "bad signature")
	}
	if r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list"}); r.status != http.StatusOK {
		t.Fatalf("genuine request after forged ones: %d %s (forgers drained the bucket)", r.status, r.body)
	}
}
