package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/tracing"
)

// ReconcilerConfig tunes the reconciler; zero values take the defaults. The check schedule
// of pending orders is the Service's (payment.Config.CheckSchedule).
type ReconcilerConfig struct {
	Poll        time.Duration // look for due orders and refunds this often; default 1 s
	Lease       time.Duration // how long a claimed order or refund is held; default 2 min
	Batch       int           // orders (and refunds) claimed per round; default 50
	Concurrency int           // orders handled at once; default 4
	Clock       payment.Clock // default the system clock
	Logger      *slog.Logger  // default discard
	// TracerProvider traces each pass that claimed work (docs/decisions.md, "Tracing");
	// nil traces nothing.
	TracerProvider trace.TracerProvider
}

// Reconciler brings orders and refunds that no notification settled in line with Alipay
// (payment.Service.ReconcileOrder and ReconcileRefund); safe on several instances at once.
type Reconciler struct {
	svc   *payment.Service
	store payment.Store
	cfg   ReconcilerConfig
	log   *slog.Logger
	loop  loop
}

// NewReconciler builds a reconciler over svc.
func NewReconciler(svc *payment.Service, cfg ReconcilerConfig) *Reconciler {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 50
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Clock == nil {
		cfg.Clock = payment.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{svc: svc, store: svc.Store(), cfg: cfg, log: cfg.Logger, loop: newLoop()}
}

// Start reconciles in the background until ctx ends or Stop.
func (r *Reconciler) Start(ctx context.Context) {
	r.loop.start(ctx, r.cfg.Poll, func(ctx context.Context) bool {
		n, err := r.runOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("reconcile round failed", slog.Any("err", err))
		}
		return n >= r.cfg.Batch
	}, nil)
}

// Stop stops the reconciler after the round in progress.
func (r *Reconciler) Stop() { r.loop.stop() }

// Wake makes the reconciler look for due work now; it never blocks.
func (r *Reconciler) Wake() { r.loop.poke() }

// runOnce claims the due orders and refunds (up to Batch of each), handles them and
// returns how many it claimed. A failure on one leaves it claimed until the lease ends.
func (r *Reconciler) runOnce(ctx context.Context) (int, error) {
	start, now := time.Now(), payment.Now(r.cfg.Clock)
	orders, err := r.store.ClaimDueOrders(ctx, now, now.Add(r.cfg.Lease), r.cfg.Batch)
	if err != nil {
		return 0, err
	}
	refunds, err := r.store.ClaimDueRefunds(ctx, now, now.Add(r.cfg.Lease), r.cfg.Batch)
	if err != nil {
		refunds = nil
		r.log.ErrorContext(ctx, "claiming due refunds failed", slog.Any("err", err))
	}
	if len(orders)+len(refunds) == 0 {
		return 0, nil // an idle poll makes no span: one a second would bury the passes that work
	}
	ctx, span := tracing.Tracer(r.cfg.TracerProvider).Start(ctx, "reconciler.pass", trace.WithTimestamp(start),
		trace.WithAttributes(attribute.Int("f2fpay.orders", len(orders)), attribute.Int("f2fpay.refunds", len(refunds))))
	defer span.End()
	// The work outlives a stop request: it ends within half a lease, before anyone else
	// may take the same rows.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Lease/2) // keeps the span
	defer cancel()
	sem := make(chan struct{}, r.cfg.Concurrency)
	var wg sync.WaitGroup
	run := func(what, key string, fn func() error) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(); err != nil {
				r.log.WarnContext(work, "reconcile failed; retried when the lease ends", slog.String(what, key), slog.Any("err", err))
			}
		}()
	}
	for _, o := range orders {
		run("out_trade_no", o.OutTradeNo, func() error { return r.svc.ReconcileOrder(work, o) })
	}
	for _, rf := range refunds {
		run("refund", rf.OutTradeNo+"/"+rf.RefundNo, func() error { return r.svc.ReconcileRefund(work, rf) })
	}
	wg.Wait()
	return max(len(orders), len(refunds)), nil
}
