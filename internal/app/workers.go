package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/f2fpay/f2fpay/internal/natsrelay"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/redisstore"
	"github.com/f2fpay/f2fpay/internal/worker"
)

// openShared connects what several instances share besides the database, when configured,
// and returns the rate limiter's bucket store. Redis becomes the service's nonce store and
// the bucket store; an unreachable Redis at start is a start-up error (the refusal is
// clearer now than 503s later). The NATS relay is built here and started with the
// workers, even when NATS is down, because events wait in the outbox until it is back.
func (a *App) openShared(ctx context.Context, noWorkers bool) (ratelimit.Store, error) {
	var limits ratelimit.Store = ratelimit.NewMemory(nil)
	if url := a.cfg.RedisURL; url != "" {
		rs, err := redisstore.Open(ctx, url, redisstore.Options{})
		if err != nil {
			return nil, fmt.Errorf("redis_url: %v", err)
		}
		a.closers = append(a.closers, func() { _ = rs.Close() })
		a.svc.SetNonceStore(rs)
		limits = rs
		a.log.Info("redis: shared nonces and rate limits")
	}
	if url := a.cfg.Events.NATSURL; url != "" && !noWorkers {
		relay, err := natsrelay.New(a.store, natsrelay.Config{URL: url, Logger: a.log.With(slog.String("component", "nats"))})
		if err != nil {
			return nil, fmt.Errorf("events.nats_url: %v", err)
		}
		a.svc.OnEvent(relay.Wake)
		// First in the list, so that it stops before the other workers and Redis.
		a.workers = append(a.workers, relay)
		a.log.Info("nats: publishing events", slog.String("subjects", natsrelay.SubjectPrefix+">"))
	}
	return limits, nil
}

// buildWorkers builds the webhook dispatcher, the reconciler, the daily reconciliation
// against Alipay's bill and the retention purge; Start starts them.
func (a *App) buildWorkers(clock payment.Clock) {
	wh, rc := a.cfg.Webhooks, a.cfg.Reconciler
	dispatcher := worker.NewDispatcher(a.svc, worker.DispatcherConfig{Schedule: wh.Schedule, Timeout: wh.Timeout,
		Lease: wh.Lease, Concurrency: wh.Concurrency, AllowNetworks: a.allow, Clock: clock, Logger: a.log.With(slog.String("component", "webhooks")),
		OnAttempt: a.metrics.ObserveWebhookAttempt, TracerProvider: a.tracer})
	reconciler := worker.NewReconciler(a.svc, worker.ReconcilerConfig{Poll: rc.Poll, Lease: rc.Lease, Clock: clock,
		Logger: a.log.With(slog.String("component", "reconciler")), TracerProvider: a.tracer})
	at, _ := a.cfg.Reconcile.TimeOfDay() // checked by config.Validate and CheckTuning
	daily := worker.NewDailyReconciler(a.svc, worker.DailyConfig{At: at, Retry: a.cfg.Reconcile.Retry, Clock: clock,
		Logger: a.log.With(slog.String("component", "reconciliation")), TracerProvider: a.tracer})
	a.workers = append(a.workers, dispatcher, reconciler, daily)
	if ps, ok := a.store.(worker.PurgeStore); ok { // both stores
		r := a.cfg.Retention
		a.workers = append(a.workers, worker.NewPurger(ps, worker.PurgeConfig{Audit: r.AuditOrDefault(),
			Interval: r.IntervalOrDefault(), Batch: r.BatchOrDefault(), Clock: clock,
			Logger: a.log.With(slog.String("component", "retention"))}))
	}
}
