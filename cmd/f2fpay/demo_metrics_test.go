package main

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestMetrics: after an order is created and paid, GET /metrics (public, no credentials)
// shows the request, the Alipay call, the accepted notification and the queue depths.
func TestMetrics(t *testing.T) {
	t.Parallel()
	p := runDemoForTest(t, t.TempDir())
	mustCreate(t, p, "metrics_1", "9.90")
	if code := p.pay("metrics_1"); code != http.StatusOK {
		t.Fatalf("pay: status %d", code)
	}
	p.waitStatus("metrics_1", "paid")
	// A forged notification is refused, and counted.
	resp, err := http.PostForm(p.state.BaseURL+"/notify/alipay", url.Values{"out_trade_no": {"metrics_1"}, "sign": {"forged"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	want := []string{
		`f2fpay_http_requests_total{method="POST",route="/api/v1/payment/create",status="201"}`,
		`f2fpay_alipay_calls_total{method="alipay.trade.precreate",outcome="ok"}`,
		`f2fpay_notifications_total{outcome="accepted"}`,
		`f2fpay_notifications_total{outcome="refused"}`,
		`f2fpay_webhook_deliveries_pending`,
		`f2fpay_orders_due_for_check`,
		`f2fpay_refunds_pending`,
	}
	// The notification is counted just after its change commits, so poll.
	var out, missing string
	if !testutil.Eventually(0, func() bool {
		out, missing = scrapeMetrics(t, p.state.BaseURL), ""
		for _, series := range want {
			if v, ok := sample(out, series); !ok || (strings.Contains(series, "_total") && v < 1) {
				missing = series
				return false
			}
		}
		return true
	}) {
		t.Fatalf("GET /metrics lacks %s:\n%s", missing, out)
	}
}

func scrapeMetrics(t *testing.T, baseURL string) string {
	t.Helper()
	resp, err := http.Get(baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return string(b)
}

// sample finds the value of one series (name and labels exactly) in a scrape.
func sample(scrape, series string) (float64, bool) {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}
