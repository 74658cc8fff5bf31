// Package natsrelay publishes the events outbox to NATS JetStream (docs/deploy.md, NATS JetStream): every
// committed event goes to subject f2fpay.events.<type>, its body the webhook's JSON, its
// JetStream message id the event id, so that the stream stores each event once.
//
// The relay reads only committed rows (the outbox, in seq order), so nothing is published
// that was not committed. Its cursor lives in the database and moves only past events
// JetStream acknowledged; while NATS is down the cursor stands still and the events are
// published when it returns. One relay runs across N instances: the cursor carries a lease
// (payment.RelayQueries), taken over when its holder dies. Events the dead holder published
// without moving the cursor are published again and dropped by JetStream's duplicate window,
// which must therefore be longer than the lease (the stream this package creates has 10 min).
package natsrelay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// SubjectPrefix starts every subject: f2fpay.events.payment.succeeded, …
const SubjectPrefix = "f2fpay.events."

// Config tunes the relay; zero values take the defaults.
type Config struct {
	URL     string        // nats://host:4222 (comma-separated for a cluster)
	Stream  string        // JetStream stream; default F2FPAY_EVENTS, created when missing
	Name    string        // relay name in the cursor table; default "nats"
	Lease   time.Duration // how long one instance holds the relay; default 30 s
	Poll    time.Duration // look for new events this often; default 1 s
	Batch   int           // events per round; default 200
	Timeout time.Duration // wait for one JetStream ack; default 5 s
	Owner   string        // this instance in the lease; default host-pid-random
	Clock   payment.Clock // default the system clock
	Logger  *slog.Logger  // default discard
}

// Relay publishes the outbox; Start/Stop run it in the background, runOnce one round.
type Relay struct {
	store payment.Store
	cfg   Config
	log   *slog.Logger
	nc    *nats.Conn
	js    jetstream.JetStream

	mu       sync.Mutex
	streamOK bool
	wake     chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
}

// New connects to NATS (retrying in the background when it is down: the relay must start
// with the gateway and catch up later) and returns a relay over store's outbox.
func New(store payment.Store, cfg Config) (*Relay, error) {
	if cfg.Stream == "" {
		cfg.Stream = defaultStream
	}
	if cfg.Name == "" {
		cfg.Name = "nats"
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 200
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Owner == "" {
		cfg.Owner = ownerID()
	}
	if cfg.Clock == nil {
		cfg.Clock = payment.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Relay{store: store, cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1)}
	nc, err := nats.Connect(cfg.URL, nats.Name("f2fpay "+cfg.Owner), nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { r.log.Warn("nats disconnected", slog.Any("err", err)) }),
		nats.ReconnectHandler(func(*nats.Conn) { r.log.Info("nats reconnected"); r.Wake() }))
	if err != nil {
		return nil, fmt.Errorf("nats: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: %v", err)
	}
	r.nc, r.js = nc, js
	return r, nil
}

// Start publishes in the background until ctx ends or Stop.
func (r *Relay) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done != nil {
		return
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go r.loop(ctx)
}

func (r *Relay) loop(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	for {
		n, err := r.runOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("nats relay round failed; events stay in the outbox and are published later", slog.Any("err", err))
		}
		if err == nil && n >= r.cfg.Batch {
			continue // more is waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Stop ends the background loop after the round in progress and closes the connection.
func (r *Relay) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	r.nc.Close()
}

// Wake asks for a round now (after a commit that wrote an event); it never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// runOnce takes (or renews) the relay's lease, publishes up to Batch events past the
// cursor, in order, and moves the cursor past those JetStream acknowledged. It returns how
// many it published; 0 when another instance holds the lease.
func (r *Relay) runOnce(ctx context.Context) (int, error) {
	now := payment.Now(r.cfg.Clock)
	cursor, ok, err := r.store.ClaimRelay(ctx, r.cfg.Name, r.cfg.Owner, now, now.Add(r.cfg.Lease))
	if err != nil || !ok {
		return 0, err
	}
	es, err := r.store.ListEvents(ctx, "", cursor, r.cfg.Batch)
	if err != nil || len(es) == 0 {
		return 0, err
	}
	if err := r.ensureStream(ctx); err != nil {
		return 0, err
	}
	published := 0
	var perr error
	for _, e := range es {
		if perr = r.publish(ctx, e); perr != nil {
			break
		}
		published++
	}
	if published > 0 {
		if err := r.store.AdvanceRelay(ctx, r.cfg.Name, r.cfg.Owner, es[published-1].Seq); err != nil {
			return published, errors.Join(perr, fmt.Errorf("advance cursor: %w", err))
		}
	}
	return published, perr
}
