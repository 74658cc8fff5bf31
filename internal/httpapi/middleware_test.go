package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"

	"github.com/f2fpay/f2fpay/internal/testbin"
)

func get(t *testing.T, url string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, req)
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for path, want := range map[string]string{"/health": `{"status":"ok","version":"` + testVersion + `"}`, "/ready": `{"status":"ready"}`} {
		r := get(t, b.srv.URL+path)
		if r.status != http.StatusOK || string(r.body) != want || r.header.Get("X-Request-Id") == "" {
			t.Fatalf("%s: %d %s %v", path, r.status, r.body, r.header)
		}
	}
	b.store.Close()
	if r := get(t, b.srv.URL+"/ready"); r.status != http.StatusServiceUnavailable {
		t.Fatalf("/ready with the database closed: %d %s", r.status, r.body)
	}
	if r := get(t, b.srv.URL+"/health"); r.status != http.StatusOK {
		t.Fatalf("/health with the database closed: %d %s", r.status, r.body)
	}
}

func TestRequestIDAndNoRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantError(t, get(t, b.srv.URL+"/nowhere"), http.StatusNotFound, "NOT_FOUND", "no such route")
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/health", nil)
	req.Header.Set("X-Request-Id", "trace-0123456789")
	if r := send(t, req); r.header.Get("X-Request-Id") != "trace-0123456789" {
		t.Fatalf("caller's request id not kept: %v", r.header)
	}
	req.Header.Set("X-Request-Id", "bad id <script>")
	if r := send(t, req); strings.Contains(r.header.Get("X-Request-Id"), "bad") {
		t.Fatalf("unsafe request id echoed: %v", r.header)
	}
}

func TestRecoveryHidesPanic(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) {
		o.extra = func(e *gin.Engine) {
			e.GET("/boom", func(*gin.Context) { panic("secret detail: db password hunter2") })
		}
	})
	r := get(t, b.srv.URL+"/boom")
	wantError(t, r, http.StatusInternalServerError, "INTERNAL", "internal error")
	if strings.Contains(string(r.body), "hunter2") || strings.Contains(string(r.body), "goroutine") {
		t.Fatalf("panic leaked: %s", r.body)
	}
	var env map[string]map[string]string
	_ = json.Unmarshal(r.body, &env)
	if env["error"]["message"] != "internal error" {
		t.Fatalf("message %q", env["error"]["message"])
	}
}

func TestNotifyEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	post := func(body string) rawResponse {
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/notify/alipay", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return send(t, req)
	}
	for _, body := range []string{"", "garbage", "notify_id=1&out_trade_no=X&sign=AAAA&sign_type=RSA2"} {
		r := post(body)
		if r.status != http.StatusOK || string(r.body) != "failure" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Fatalf("%q: %d %q %v", body, r.status, r.body, r.header)
		}
	}
	if r := post("a=" + strings.Repeat("b", 64<<10)); r.status != http.StatusRequestEntityTooLarge || string(r.body) != "failure" {
		t.Fatalf("oversized: %d %q", r.status, r.body)
	}
	// The refused notifications are kept for audit.
	recs, err := b.store.ListNotifications(context.Background(), "X", 10)
	if err != nil || len(recs) != 1 || recs[0].Verified {
		t.Fatalf("audit: %v %+v", err, recs)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var logs testbin.Buffer
	b := setup(t, func(o *setupOptions) { o.logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	var sigs []string
	capture := func(h http.Header) { sigs = append(sigs, h.Get("X-Signature")) }
	ok := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", query: "limit=3", header: capture})
	bad := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", secret: "sk_wrong", header: capture})
	if ok.status != http.StatusOK || bad.status != http.StatusUnauthorized {
		t.Fatalf("statuses %d %d", ok.status, bad.status)
	}
	out := logs.String()
	for _, secret := range append(sigs, b.secret, "sk_wrong", "limit=3") {
		if strings.Contains(out, secret) {
			t.Fatalf("log holds %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{ok.header.Get("X-Request-Id"), bad.header.Get("X-Request-Id"), `"app_id":"` + b.appID, `"error_code":"UNAUTHORIZED"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
}

type countingLimiter struct{ n atomic.Int64 }

func (l *countingLimiter) Allow(_ context.Context, c *payment.Merchant) (bool, time.Duration) {
	if c == nil {
		panic("limiter called without a client")
	}
	return l.n.Add(1) <= 1, 1500 * time.Millisecond
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) { o.limiter = &countingLimiter{} })
	if _, err := b.client.List(context.Background(), client.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list"})
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED", "too many requests")
	if r.header.Get("Retry-After") != "2" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
}

type stubWaiter struct{ calls atomic.Int64 }

func (w *stubWaiter) WaitSettled(_ context.Context, o *payment.Order, timeout time.Duration) (*payment.Order, error) {
	w.calls.Add(1)
	if timeout != 7*time.Second {
		return nil, payment.Errorf(payment.CodeInvalidParameter, "timeout %s", timeout)
	}
	return o, nil
}

func TestWaitUsesWaiter(t *testing.T) {
	t.Parallel()
	w := &stubWaiter{}
	b := setup(t, func(o *setupOptions) { o.waiter = w })
	ctx := context.Background()
	if _, _, err := b.client.Create(ctx, createReq("W1", "1.00")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.Query(ctx, "W1", client.QueryOptions{Wait: 6500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.Query(ctx, "W1", client.QueryOptions{}); err != nil {
		t.Fatal(err)
	}
	if w.calls.Load() != 1 {
		t.Fatalf("waiter called %d times", w.calls.Load())
	}
}

func TestUpstreamUnavailable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.sb.SetFaults(sandbox.Faults{Seed: 1, GatewaySystemError: 1})
	_, _, err := b.client.Create(ctx, createReq("U1", "1.00"))
	ce := wantClientError(t, err, http.StatusServiceUnavailable, client.CodeUpstreamUnavailable)
	if !ce.Temporary() || ce.AlipayCode != "" {
		t.Fatalf("error %+v", ce)
	}
	b.sb.ClearFaults()
	p, _, err := b.client.Create(ctx, createReq("U1", "1.00"))
	if err != nil || p.QRCode == "" {
		t.Fatalf("retry after the outage: %v %+v", err, p)
	}
}
