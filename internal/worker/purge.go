package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// PurgeStore is what the retention purge needs of a store; both stores have it
// (internal/store/sqlstore/retention.go). Each call deletes at most limit rows in a short
// transaction of its own and returns how many.
type PurgeStore interface {
	PurgeNonceBatch(ctx context.Context, now time.Time, limit int) (int64, error)
	PurgeNotifications(ctx context.Context, before time.Time, limit int) (int64, error)
	PurgeChannelCalls(ctx context.Context, before time.Time, limit int) (int64, error)
	PurgeDeliveryAttempts(ctx context.Context, before time.Time, limit int) (int64, error)
}

// compacter is a store that gives freed pages back to the file system (SQLite).
type compacter interface {
	Compact(ctx context.Context) error
}

// PurgeConfig tunes the retention purge; zero values take the defaults, those of
// config.RetentionConfig.
type PurgeConfig struct {
	Audit    time.Duration // notifications, Alipay calls and webhook attempts older go; default 180 days
	Interval time.Duration // between purges; default 10 min
	Batch    int           // rows per transaction; default 500
	// MaxBatches bounds the batches of one kind per purge, so that a first purge of years
	// of rows spreads over several intervals; default 200.
	MaxBatches int
	Clock      payment.Clock
	Logger     *slog.Logger // defaults to discard
}

// PurgeCounts is what one purge deleted, by kind.
type PurgeCounts struct {
	Nonces, Notifications, ChannelCalls, DeliveryAttempts int64
}

// Purger deletes what retention no longer keeps (docs/decisions.md, "Retention"):
// expired nonces, and audit records older than Audit except those an order, refund or
// event still in progress needs. It never deletes orders, refunds or events. Every
// instance may run one: the deletes are idempotent and each batch is its own short
// transaction, so the write lock is never held for long.
type Purger struct {
	store PurgeStore
	cfg   PurgeConfig
	log   *slog.Logger
	loop  loop
}

// NewPurger builds the purge over st.
func NewPurger(st PurgeStore, cfg PurgeConfig) *Purger {
	if cfg.Audit <= 0 {
		cfg.Audit = 180 * 24 * time.Hour
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.MaxBatches <= 0 {
		cfg.MaxBatches = 200
	}
	if cfg.Clock == nil {
		cfg.Clock = payment.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Purger{store: st, cfg: cfg, log: cfg.Logger, loop: newLoop()}
}

// Start purges every Interval until ctx ends or Stop.
func (p *Purger) Start(ctx context.Context) {
	p.loop.start(ctx, p.cfg.Interval, func(ctx context.Context) bool {
		c, err := p.runOnce(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Error("retention purge failed", slog.String("err", err.Error()))
		}
		if c != (PurgeCounts{}) {
			p.log.Info("retention purge", slog.Int64("nonces", c.Nonces), slog.Int64("notifications", c.Notifications),
				slog.Int64("channel_calls", c.ChannelCalls), slog.Int64("delivery_attempts", c.DeliveryAttempts))
		}
		return false
	}, nil)
}

// Stop stops the loop after the batch in progress.
func (p *Purger) Stop() { p.loop.stop() }

// runOnce purges each kind in batches until a batch finds less than Batch rows or
// MaxBatches ran, and returns the counts.
func (p *Purger) runOnce(ctx context.Context) (PurgeCounts, error) {
	now := payment.Now(p.cfg.Clock)
	cut := now.Add(-p.cfg.Audit)
	var c PurgeCounts
	for _, k := range []struct {
		n     *int64
		at    time.Time
		purge func(context.Context, time.Time, int) (int64, error)
	}{
		{&c.Nonces, now, p.store.PurgeNonceBatch},
		{&c.Notifications, cut, p.store.PurgeNotifications},
		{&c.ChannelCalls, cut, p.store.PurgeChannelCalls},
		{&c.DeliveryAttempts, cut, p.store.PurgeDeliveryAttempts},
	} {
		for range p.cfg.MaxBatches {
			n, err := k.purge(ctx, k.at, p.cfg.Batch)
			if err != nil {
				return c, err
			}
			*k.n += n
			if n > 0 {
				if err := p.compact(ctx); err != nil {
					return c, err
				}
			}
			if n < int64(p.cfg.Batch) {
				break
			}
		}
	}
	return c, nil
}

func (p *Purger) compact(ctx context.Context) error {
	if cp, ok := p.store.(compacter); ok {
		return cp.Compact(ctx)
	}
	return nil
}
