package app

import (
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
)

// TestMetricsPlacement: as serve configures it, /metrics is on metrics.listen only, and on
// the main listener only with metrics.public (as demo sets it); with neither, nowhere.
func TestMetricsPlacement(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name          string
		metrics       config.MetricsConfig
		main, ownAddr bool
	}{
		{"separate listener", config.MetricsConfig{Listen: "127.0.0.1:0"}, false, true},
		{"public", config.MetricsConfig{Public: true}, true, false},
		{"both", config.MetricsConfig{Listen: "127.0.0.1:0", Public: true}, true, true},
		{"neither", config.MetricsConfig{}, false, false},
	} {
		b := setup(t, func(cfg *config.Config) { cfg.Metrics = c.metrics })
		status, body := get(b.app.URL() + "/metrics")
		if served := status == 200 && strings.Contains(body, "f2fpay_build_info{"); served != c.main {
			t.Errorf("%s: main listener /metrics: %d, want served=%v\n%.300s", c.name, status, c.main, body)
		}
		mu := b.app.MetricsURL()
		if (mu != "") != c.ownAddr {
			t.Fatalf("%s: MetricsURL %q", c.name, mu)
		}
		if mu == "" {
			continue
		}
		if status, body := get(mu + "/metrics"); status != 200 || !strings.Contains(body, "f2fpay_http_requests_total") {
			t.Errorf("%s: metrics listener /metrics: %d\n%.300s", c.name, status, body)
		}
		// Only /metrics: the merchant API, console and probes are not on the metrics address.
		for _, path := range []string{"/health", "/api/v1/payment/list", "/admin/login"} {
			if status, _ := get(mu + path); status != 404 {
				t.Errorf("%s: metrics listener %s: %d, want 404", c.name, path, status)
			}
		}
	}
}
