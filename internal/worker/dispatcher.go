package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/tracing"
)

// DefaultSchedule is the webhook retry schedule of docs/api.md (Webhooks): the waits after the 1st, 2nd, …
// failed attempt; after the last one fails too, the delivery is dead.
var DefaultSchedule = []time.Duration{15 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 15 * time.Hour}

// DispatcherConfig tunes the webhook dispatcher; zero values take the defaults.
type DispatcherConfig struct {
	Schedule    []time.Duration // retry waits; default DefaultSchedule
	Timeout     time.Duration   // per POST; default 10 s
	Lease       time.Duration   // how long a claim is held; default Timeout + 30 s
	Concurrency int             // POSTs in flight at most; default 8
	Poll        time.Duration   // look for due retries this often; default 1 s
	// AllowNetworks opts networks in as webhook targets (webhooks.allow_networks); every
	// other non-public address is refused at dial time (docs/security.md). The demo allows
	// loopback.
	AllowNetworks []netip.Prefix
	// Resolver resolves webhook host names; nil = the system's. Tests inject one.
	Resolver Resolver
	Clock    payment.Clock // default the system clock
	Logger   *slog.Logger  // default discard
	// OnAttempt, when set, is told of every POST's result (metrics): "delivered", "failed"
	// (a retry is scheduled) or "dead" (it was the last). It must not block.
	OnAttempt func(result string)
	// TracerProvider traces each pass that claimed deliveries and each delivery, in the trace
	// of the change that made its event (docs/decisions.md, "Tracing"); nil traces nothing.
	TracerProvider trace.TracerProvider
}

// Dispatcher delivers the events outbox as signed webhooks (docs/api.md, Webhooks), at least once per
// event, with retries on the schedule; safe to run on several instances at once.
type Dispatcher struct {
	svc    *payment.Service
	store  payment.Store
	cfg    DispatcherConfig
	client *http.Client // dials public addresses only, follows no redirect (dial.go)
	log    *slog.Logger
	id     string
	seq    atomic.Int64
	slots  chan struct{} // one token per delivery in flight
	freed  chan struct{}
	wg     sync.WaitGroup
	loop   loop
}

// NewDispatcher builds a dispatcher over svc and subscribes it to svc's new events (OnEvent),
// so that they are delivered at once rather than at the next poll.
func NewDispatcher(svc *payment.Service, cfg DispatcherConfig) *Dispatcher {
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = cfg.Timeout + 30*time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = payment.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OnAttempt == nil {
		cfg.OnAttempt = func(string) {}
	}
	d := &Dispatcher{svc: svc, store: svc.Store(), cfg: cfg, log: cfg.Logger, id: instanceID(),
		client: newWebhookClient(cfg.AllowNetworks, cfg.Resolver),
		slots:  make(chan struct{}, cfg.Concurrency), freed: make(chan struct{}, 1), loop: newLoop()}
	svc.OnEvent(d.Wake)
	return d
}

// Start delivers in the background until ctx ends or Stop.
func (d *Dispatcher) Start(ctx context.Context) {
	d.loop.start(ctx, d.cfg.Poll, func(ctx context.Context) bool {
		n, err := d.claim(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Error("webhook claim failed", slog.Any("err", err))
		}
		return n > 0 && len(d.slots) < cap(d.slots)
	}, d.freed)
}

// Stop stops claiming and waits for the deliveries in flight (at most Timeout).
func (d *Dispatcher) Stop() {
	d.loop.stop()
	d.wg.Wait()
}

// Wake makes the dispatcher look for due deliveries now; it never blocks.
func (d *Dispatcher) Wake() { d.loop.poke() }

// runOnce claims what is due (up to the free slots), delivers it and waits for the result.
func (d *Dispatcher) runOnce(ctx context.Context) (int, error) {
	n, err := d.claim(ctx)
	d.wg.Wait()
	return n, err
}

// claim leases due deliveries for the free slots and starts delivering them.
func (d *Dispatcher) claim(ctx context.Context) (int, error) {
	free := cap(d.slots) - len(d.slots)
	if free == 0 {
		return 0, nil
	}
	start, now := time.Now(), payment.Now(d.cfg.Clock)
	owner := fmt.Sprintf("%s/%d", d.id, d.seq.Add(1))
	ds, err := d.store.ClaimDeliveries(ctx, owner, now, now.Add(d.cfg.Lease), free)
	if err != nil || len(ds) == 0 {
		return 0, err // an idle poll makes no span
	}
	_, pass := tracing.Tracer(d.cfg.TracerProvider).Start(ctx, "webhook.dispatch", trace.WithTimestamp(start),
		trace.WithAttributes(attribute.Int("f2fpay.deliveries", len(ds))))
	defer pass.End()
	for _, del := range ds {
		d.slots <- struct{}{}
		d.wg.Add(1)
		go func() {
			defer func() {
				<-d.slots
				d.wg.Done()
				select {
				case d.freed <- struct{}{}:
				default:
				}
			}()
			if err := d.deliver(owner, del, pass.SpanContext()); err != nil {
				d.log.Error("webhook delivery not recorded; retried when the lease ends", slog.String("event_id", del.EventID), slog.Any("err", err))
			}
		}()
	}
	return len(ds), nil
}

// deliver makes one attempt of a claimed delivery and records it. An error leaves the
// claim to expire, so the delivery is attempted again. Its span is a child of the change
// that made the event (else of the pass) and links the pass that claimed it.
func (d *Dispatcher) deliver(owner string, del *payment.Delivery, pass trace.SpanContext) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.Lease)
	defer cancel()
	e, err := d.store.GetEvent(ctx, del.EventID)
	if err != nil {
		return err
	}
	parent := tracing.WithTraceParent(ctx, e.TraceParent)
	if !trace.SpanContextFromContext(parent).IsValid() {
		parent = trace.ContextWithSpanContext(ctx, pass)
	}
	ctx, span := tracing.Tracer(d.cfg.TracerProvider).Start(parent, "webhook.deliver", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithLinks(trace.Link{SpanContext: pass}), trace.WithAttributes(attribute.String("f2fpay.event_id", e.ID),
			attribute.String("f2fpay.event_type", e.Type), attribute.String("f2fpay.out_trade_no", e.OutTradeNo)))
	defer func() { endDelivery(span, del, err) }()
	url, secrets, err := d.svc.WebhookTarget(ctx, e)
	if err != nil && !errors.Is(err, payment.ErrNotFound) {
		return err
	}
	if url == "" { // no endpoint (or no client): nothing to retry; a resend can still deliver it
		del.Status, del.NextAttemptAt, del.LastError = payment.DeliveryNoEndpoint, nil, "no webhook URL"
		del.UpdatedAt = payment.Now(d.cfg.Clock)
		return d.finish(ctx, owner, del, nil)
	}
	a := d.post(ctx, url, secrets, e)
	del.Attempts++
	a.Attempt = del.Attempts
	now := payment.Now(d.cfg.Clock)
	del.UpdatedAt = now
	if a.Error == "" {
		del.Status, del.NextAttemptAt, del.DeliveredAt, del.LastError = payment.DeliveryDelivered, nil, &now, ""
	} else {
		del.Failures++
		del.LastError = a.Error
		if del.Failures > len(d.cfg.Schedule) {
			del.Status, del.NextAttemptAt = payment.DeliveryDead, nil
			d.log.WarnContext(ctx, "webhook dead after its last retry", slog.String("event_id", e.ID), slog.Int("attempts", del.Attempts))
		} else {
			next := now.Add(d.cfg.Schedule[del.Failures-1])
			del.Status, del.NextAttemptAt = payment.DeliveryPending, &next
		}
	}
	span.SetAttributes(attribute.Int("f2fpay.attempt", a.Attempt), attribute.Int("http.response.status_code", a.StatusCode))
	d.log.InfoContext(ctx, "webhook attempt", slog.String("event_id", e.ID), slog.String("type", e.Type), slog.Int("attempt", a.Attempt),
		slog.Int("status", a.StatusCode), slog.Int64("latency_ms", a.Latency.Milliseconds()), slog.String("error", a.Error),
		slog.String("delivery", string(del.Status)))
	d.cfg.OnAttempt(attemptResult(del.Status))
	return d.finish(ctx, owner, del, a)
}

// finish stores the attempt and the new delivery state in one transaction. A lost lease
// (someone reset or re-claimed it) keeps the attempt and leaves the state to the new owner.
func (d *Dispatcher) finish(ctx context.Context, owner string, del *payment.Delivery, a *payment.DeliveryAttempt) error {
	return d.store.Tx(ctx, func(q payment.Queries) error {
		if a != nil {
			if err := q.InsertDeliveryAttempt(ctx, a); err != nil {
				return err
			}
		}
		err := q.FinishDelivery(ctx, del, owner)
		if errors.Is(err, payment.ErrStale) {
			d.log.InfoContext(ctx, "webhook lease lost; state left to its new owner", slog.String("event_id", del.EventID))
			return nil
		}
		return err
	})
}

// endDelivery ends a delivery's span with the state the attempt left; an error status for
// anything not delivered.
func endDelivery(span trace.Span, del *payment.Delivery, err error) {
	span.SetAttributes(attribute.String("f2fpay.delivery_status", string(del.Status)))
	switch {
	case err != nil:
		span.SetStatus(codes.Error, err.Error())
	case del.Status != payment.DeliveryDelivered:
		span.SetStatus(codes.Error, del.LastError)
	}
	span.End()
}

// attemptResult names an attempt's result by the delivery state it left.
func attemptResult(st payment.DeliveryStatus) string {
	switch st {
	case payment.DeliveryDelivered:
		return "delivered"
	case payment.DeliveryDead:
		return "dead"
	}
	return "failed"
}
