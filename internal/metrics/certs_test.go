package metrics

import "testing"

func TestAlipayCertEvents(t *testing.T) {
	t.Parallel()
	m := New(nil, nil)
	wantLines(t, scrape(t, m), `f2fpay_alipay_cert_events_total{kind="refused"} 0`)
	m.ObserveAlipayCertEvent("refused")
	m.ObserveAlipayCertEvent("refused")
	m.ObserveAlipayCertEvent("downloaded")
	wantLines(t, scrape(t, m),
		`f2fpay_alipay_cert_events_total{kind="refused"} 2`,
		`f2fpay_alipay_cert_events_total{kind="downloaded"} 1`,
	)
}
