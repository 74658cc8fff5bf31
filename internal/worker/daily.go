package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/tracing"
)

// DailyConfig tunes the daily reconciliation against Alipay's bill; zero values take the
// defaults.
type DailyConfig struct {
	// At is when, after midnight Beijing time, the day before is reconciled; 0 takes the
	// default of 10 h (reconcile.at "10:00": Alipay publishes a day's bill the next morning).
	At    time.Duration
	Retry time.Duration // a bill not ready, or a failed run, is tried again after; default 30 min
	Poll  time.Duration // how often to look whether a day is due; default 1 min
	Lease time.Duration // how long a claimed day is held; default 30 min
	Clock payment.Clock
	// Logger defaults to discard.
	Logger *slog.Logger
	// TracerProvider traces each day's run (docs/decisions.md, "Tracing"); nil traces nothing.
	TracerProvider trace.TracerProvider
}

// DailyReconciler reconciles, once a day at At, the day before against Alipay's bill
// (payment.Service.ReconcileDay), on one instance of several: the day is claimed in the
// database with a lease, and a bill not yet ready is tried again after Retry.
type DailyReconciler struct {
	svc   *payment.Service
	store payment.Store
	cfg   DailyConfig
	log   *slog.Logger
	owner string
	loop  loop
}

// NewDailyReconciler builds the daily reconciliation over svc, whose bill source
// (SetBillSource) downloads the bills.
func NewDailyReconciler(svc *payment.Service, cfg DailyConfig) *DailyReconciler {
	if cfg.At <= 0 || cfg.At >= 24*time.Hour {
		cfg.At = 10 * time.Hour
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 30 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Minute
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = payment.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &DailyReconciler{svc: svc, store: svc.Store(), cfg: cfg, log: cfg.Logger, owner: instanceID(), loop: newLoop()}
}

// Start looks for a due day every Poll until ctx ends or Stop.
func (d *DailyReconciler) Start(ctx context.Context) {
	d.loop.start(ctx, d.cfg.Poll, func(ctx context.Context) bool {
		if _, err := d.runOnce(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("daily reconciliation failed", slog.String("err", err.Error()))
		}
		return false
	}, nil)
}

// Stop stops the loop after the run in progress.
func (d *DailyReconciler) Stop() { d.loop.stop() }

// DueDay is the newest day whose bill is due at now: yesterday (Beijing time) from at on,
// the day before yesterday until then.
func DueDay(now time.Time, at time.Duration) payment.BillDay {
	today := payment.BillDayOf(now)
	if now.Before(today.Start().Add(at)) {
		return today.AddDays(-2)
	}
	return today.AddDays(-1)
}

// runOnce claims the due day if no instance has reconciled it and it is not waiting for
// a retry, reconciles it, and records the outcome: done, or due again after Retry. It
// reports whether it ran.
func (d *DailyReconciler) runOnce(ctx context.Context) (bool, error) {
	start, now := time.Now(), payment.Now(d.cfg.Clock)
	day := DueDay(now, d.cfg.At)
	ok, err := d.store.ClaimReconciliation(ctx, day, d.owner, now, now.Add(d.cfg.Lease))
	if err != nil || !ok {
		return false, err
	}
	ctx, span := tracing.Tracer(d.cfg.TracerProvider).Start(ctx, "reconciliation.day", trace.WithTimestamp(start),
		trace.WithAttributes(attribute.String("f2fpay.date", string(day))))
	defer span.End()
	// The run outlives a stop request, within its lease.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Lease)
	defer cancel()
	run, err := d.svc.ReconcileDay(work, payment.ReconcileInput{Day: day, Trigger: payment.TriggerSchedule})
	var next *time.Time
	if err != nil {
		retry := payment.Now(d.cfg.Clock).Add(d.cfg.Retry)
		next = &retry
		status := "error"
		if run != nil {
			status = string(run.Status)
		}
		span.SetStatus(codes.Error, payment.ErrorMessage(err))
		d.log.WarnContext(work, "daily reconciliation: trying again later", slog.String("date", string(day)),
			slog.String("status", status), slog.String("reason", payment.ErrorMessage(err)), slog.Time("next", retry))
	}
	if ferr := d.store.FinishReconciliation(work, day, d.owner, next, payment.Now(d.cfg.Clock)); ferr != nil {
		return true, fmt.Errorf("finishing the claim of %s: %w", day, ferr)
	}
	return true, nil
}
