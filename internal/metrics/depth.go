package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/f2fpay/f2fpay/internal/payment"
)

var (
	descWebhooksPending = prometheus.NewDesc("f2fpay_webhook_deliveries_pending",
		"Webhook deliveries still to be attempted (due, in flight or waiting for a retry).", nil, nil)
	descOrdersDue = prometheus.NewDesc("f2fpay_orders_due_for_check",
		"Pending orders whose reconciler check is due now.", nil, nil)
	descRefundsPending = prometheus.NewDesc("f2fpay_refunds_pending",
		"Refunds not yet final, awaiting a check by the reconciler.", nil, nil)
	// The contract of deploy/README.md: open discrepancies over all days, no labels.
	descDiscrepanciesOpen = prometheus.NewDesc("f2fpay_reconciliation_discrepancies_open",
		"Reconciliation discrepancies with Alipay's daily bill that are open (neither resolved nor acknowledged), over all days.", nil, nil)
)

// depthCollector reads the queue depths from the store at scrape time, so that every
// instance reports the shared database's queues without a background poller.
type depthCollector struct {
	depths func(context.Context) (payment.QueueDepths, error)
}

// Describe sends the gauges' descriptors.
func (c *depthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descWebhooksPending
	ch <- descOrdersDue
	ch <- descRefundsPending
	ch <- descDiscrepanciesOpen
}

// Collect queries the depths; on failure it reports one invalid metric, which promhttp
// logs and leaves out of the scrape.
func (c *depthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), DepthTimeout)
	defer cancel()
	d, err := c.depths(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descWebhooksPending, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descWebhooksPending, prometheus.GaugeValue, float64(d.WebhooksPending))
	ch <- prometheus.MustNewConstMetric(descOrdersDue, prometheus.GaugeValue, float64(d.OrdersDue))
	ch <- prometheus.MustNewConstMetric(descRefundsPending, prometheus.GaugeValue, float64(d.RefundsPending))
	ch <- prometheus.MustNewConstMetric(descDiscrepanciesOpen, prometheus.GaugeValue, float64(d.DiscrepanciesOpen))
}
