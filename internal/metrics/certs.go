package metrics

import "github.com/prometheus/client_golang/prometheus"

// registerCerts adds the certificate-mode series: Alipay certificates downloaded, taken
// from the shared cache, refused, found expired, failed or skipped downloads.
func (m *Metrics) registerCerts() {
	m.alipayCerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "f2fpay_alipay_cert_events_total",
		Help: "Alipay certificate events in certificate mode, by kind (downloaded, shared, refused, expired, download_failed, rate_limited)."},
		[]string{"kind"})
	// Every kind the channel reports (alipay.CertEvent*) starts at 0, so that the first
	// refusal is an increase an alert sees, not the birth of a series.
	for _, kind := range []string{"downloaded", "shared", "refused", "expired", "download_failed", "rate_limited"} {
		m.alipayCerts.WithLabelValues(kind)
	}
	m.reg.MustRegister(m.alipayCerts)
}

// ObserveAlipayCertEvent counts one certificate event of the Alipay channel (its
// OnCertEvent hook). The channel reports a fixed set of kinds, so the series stay few.
func (m *Metrics) ObserveAlipayCertEvent(kind string) { m.alipayCerts.WithLabelValues(kind).Inc() }
