package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", rec.Code, rec.Body)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, "\n"+l+"\n") {
			t.Errorf("scrape lacks %q", l)
		}
	}
}

func TestObservations(t *testing.T) {
	t.Parallel()
	depths := func(context.Context) (payment.QueueDepths, error) {
		return payment.QueueDepths{WebhooksPending: 3, OrdersDue: 2, RefundsPending: 1, DiscrepanciesOpen: 4}, nil
	}
	m := New(depths, nil)
	m.ObserveHTTP("POST", "/api/v1/payment/create", 200, 15*time.Millisecond)
	m.ObserveHTTP("POST", "/api/v1/payment/create", 200, time.Millisecond)
	m.ObserveHTTP("BREW", "", 404, time.Millisecond)
	m.ObserveAlipayCall(payment.ChannelCall{Method: "alipay.trade.precreate", Outcome: "ok", Duration: 40 * time.Millisecond})
	m.ObserveNotification("accepted")
	m.ObserveWebhookAttempt("failed")
	out := scrape(t, m)
	wantLines(t, out,
		`f2fpay_http_requests_total{method="POST",route="/api/v1/payment/create",status="200"} 2`,
		`f2fpay_http_requests_total{method="OTHER",route="unmatched",status="404"} 1`,
		`f2fpay_http_request_duration_seconds_count{route="/api/v1/payment/create"} 2`,
		`f2fpay_alipay_calls_total{method="alipay.trade.precreate",outcome="ok"} 1`,
		`f2fpay_alipay_call_duration_seconds_count{method="alipay.trade.precreate"} 1`,
		`f2fpay_notifications_total{outcome="accepted"} 1`,
		`f2fpay_webhook_attempts_total{result="failed"} 1`,
		`f2fpay_webhook_deliveries_pending 3`,
		`f2fpay_orders_due_for_check 2`,
		`f2fpay_refunds_pending 1`,
		`f2fpay_reconciliation_discrepancies_open 4`,
	)
	for _, family := range []string{"go_goroutines", "process_"} {
		if !strings.Contains(out, "\n"+family) {
			t.Errorf("scrape lacks the %s series", family)
		}
	}
}

// TestDepthFailure: a failing store leaves the gauges out but the scrape still succeeds.
func TestDepthFailure(t *testing.T) {
	t.Parallel()
	m := New(func(context.Context) (payment.QueueDepths, error) {
		return payment.QueueDepths{}, errors.New("database is down")
	}, nil)
	m.ObserveNotification("refused")
	out := scrape(t, m)
	wantLines(t, out, `f2fpay_notifications_total{outcome="refused"} 1`)
	if strings.Contains(out, "f2fpay_webhook_deliveries_pending") {
		t.Error("depth gauge served although its query failed")
	}
}

// TestBreakerState: the gauge is served at 0 (closed) before any transition, then follows
// SetAlipayBreakerState.
func TestBreakerState(t *testing.T) {
	t.Parallel()
	m := New(nil, nil)
	wantLines(t, scrape(t, m), `f2fpay_alipay_breaker_state 0`)
	m.SetAlipayBreakerState(2)
	wantLines(t, scrape(t, m), `f2fpay_alipay_breaker_state 2`)
	m.SetAlipayBreakerState(1)
	wantLines(t, scrape(t, m), `f2fpay_alipay_breaker_state 1`)
}

func TestBuildInfo(t *testing.T) {
	t.Parallel()
	m := New(nil, nil)
	if out := scrape(t, m); strings.Contains(out, "f2fpay_build_info{") {
		t.Fatalf("build info before SetBuildInfo:\n%s", out)
	}
	m.SetBuildInfo("v0.9.0", "aaaa", "2026-01-01T00:00:00Z")
	m.SetBuildInfo("v1.0.0", "0123abcd", "2026-01-02T03:04:05Z")
	out := scrape(t, m)
	wantLines(t, out, `f2fpay_build_info{commit="0123abcd",date="2026-01-02T03:04:05Z",goversion="`+runtime.Version()+`",version="v1.0.0"} 1`)
	if strings.Contains(out, "v0.9.0") {
		t.Fatalf("the replaced build info is still served:\n%s", out)
	}
}
