package main

import (
	"context"
	"log/slog"

	"github.com/f2fpay/f2fpay/internal/metrics"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// newMetrics builds the gateway's metrics (GET /metrics, SPEC §7) and hooks them to the
// service's notifications and the channel's calls; cmd hooks the HTTP layer and the webhook
// dispatcher through their configs. The queue depths are read from the store per scrape.
func newMetrics(svc *payment.Service, calls *callLog, log *slog.Logger) *metrics.Metrics {
	st := svc.Store()
	m := metrics.New(func(ctx context.Context) (payment.QueueDepths, error) {
		return st.QueueDepths(ctx, payment.Now(payment.SystemClock{}))
	}, log.With("component", "metrics"))
	svc.OnNotification(m.ObserveNotification)
	if calls != nil {
		calls.metrics.Store(m)
	}
	return m
}
