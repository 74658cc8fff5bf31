package payment

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// DeliveryStatus is the state of an event's webhook delivery.
type DeliveryStatus string

// Delivery states.
const (
	DeliveryPending    DeliveryStatus = "pending"     // to be attempted at NextAttemptAt
	DeliveryDelivered  DeliveryStatus = "delivered"   // a 2xx answer acknowledged it
	DeliveryDead       DeliveryStatus = "dead"        // every retry failed; resend revives it
	DeliveryNoEndpoint DeliveryStatus = "no_endpoint" // neither order nor client has a webhook URL
)

// Delivery is the webhook state of one event. The store creates it, pending and due at the
// event's CreatedAt, in the same statement or transaction as the event (InsertEvent).
type Delivery struct {
	EventID       string
	Status        DeliveryStatus
	Attempts      int        // attempts made in all
	Failures      int        // failed attempts since the event or its last resend; indexes the schedule
	NextAttemptAt *time.Time // pending only: due time, or the end of the current lease
	LeaseOwner    string     // the claim holding it; "" when not claimed
	LeaseUntil    *time.Time
	LastError     string
	DeliveredAt   *time.Time
	UpdatedAt     time.Time
}

// DeliveryAttempt is one POST of a webhook, kept for the console.
type DeliveryAttempt struct {
	ID         int64
	EventID    string
	Attempt    int // 1 for the first attempt of the event
	URL        string
	At         time.Time
	StatusCode int // 0 when no HTTP answer came
	Latency    time.Duration
	Error      string // transport error or "HTTP 500"; "" on success
	Response   string // the first bytes of the answer (at most 256)
}

// DeliveryQueries are the store's outbox-delivery operations (part of Queries).
type DeliveryQueries interface {
	// GetDelivery returns the delivery of an event; ErrNotFound when there is none.
	GetDelivery(ctx context.Context, eventID string) (*Delivery, error)
	// ClaimDeliveries leases up to limit pending deliveries with NextAttemptAt <= now, the
	// earliest due first, to owner until leaseUntil: their NextAttemptAt becomes leaseUntil, so a
	// claim that never finishes (a crashed worker) is due again when the lease ends. Two
	// concurrent calls never return the same delivery.
	ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*Delivery, error)
	// FinishDelivery writes d's Status, Attempts, Failures, NextAttemptAt, LastError,
	// DeliveredAt and UpdatedAt and clears the lease, only while owner still holds it;
	// ErrStale otherwise (the lease ended and someone else claimed or reset it).
	FinishDelivery(ctx context.Context, d *Delivery, owner string) error
	// ResetDelivery makes a delivery pending and due at now with Failures 0 and no lease
	// (resend). ErrNotFound when the event has none.
	ResetDelivery(ctx context.Context, eventID string, now time.Time) error
	// InsertDeliveryAttempt records an attempt and sets a.ID.
	InsertDeliveryAttempt(ctx context.Context, a *DeliveryAttempt) error
	// ListDeliveryAttempts returns an event's attempts, oldest first.
	ListDeliveryAttempts(ctx context.Context, eventID string) ([]*DeliveryAttempt, error)
}

// ReconcileQueries let reconcilers on several instances share the due work (part of Queries).
type ReconcileQueries interface {
	// ClaimDueOrders takes up to limit orders with NextCheckAt <= now, the earliest due
	// first, and returns them in ID order after moving their NextCheckAt to leaseUntil (and bumping Version) in the same atomic
	// step; the returned orders carry the new values. Two concurrent calls never return the
	// same order, and an order whose claimer died is due again at leaseUntil.
	ClaimDueOrders(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*Order, error)
	// ClaimDueRefunds does the same for refunds.
	ClaimDueRefunds(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*Refund, error)
}

// OnEvent registers fn to be called after every committed transaction of the Service that
// wrote an event, and after a resend: the webhook dispatcher's wake-up. fn must not block.
func (s *Service) OnEvent(fn func()) {
	for {
		prev := s.onEvent.Load()
		next := fn
		if prev != nil {
			p := *prev
			next = func() { p(); fn() }
		}
		if s.onEvent.CompareAndSwap(prev, &next) {
			return
		}
	}
}

// eventWatch passes every query through and notes whether an event was written.
type eventWatch struct {
	Queries
	wrote bool
}

// InsertEvent inserts the event, with the trace of the change that wrote it, and remembers
// that one was written.
func (w *eventWatch) InsertEvent(ctx context.Context, e *Event) error {
	if e.TraceParent == "" {
		e.TraceParent = traceParent(ctx)
	}
	err := w.Queries.InsertEvent(ctx, e)
	if err == nil {
		w.wrote = true
	}
	return err
}

// ResendEvent makes the client's event due for delivery now, whatever its delivery state,
// with a fresh retry schedule. Errors: NOT_FOUND (also another client's event).
func (s *Service) ResendEvent(ctx context.Context, clientID, eventID string) (*Event, error) {
	e, err := s.clientEvent(ctx, clientID, eventID)
	if err != nil {
		return nil, err
	}
	if err := s.store.ResetDelivery(ctx, e.ID, s.now()); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "webhook resend requested", slog.String("event_id", e.ID), slog.String("client_id", e.ClientID))
	s.eventWritten()
	return e, nil
}

// EventDelivery returns an event of the client with its delivery state and attempts (an
// empty clientID: any client's, for the console). Errors: NOT_FOUND.
func (s *Service) EventDelivery(ctx context.Context, clientID, eventID string) (*Event, *Delivery, []*DeliveryAttempt, error) {
	e, err := s.clientEvent(ctx, clientID, eventID)
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := s.store.GetDelivery(ctx, e.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	as, err := s.store.ListDeliveryAttempts(ctx, e.ID)
	return e, d, as, err
}

func (s *Service) clientEvent(ctx context.Context, clientID, eventID string) (*Event, error) {
	if eventID == "" || len(eventID) > 64 {
		return nil, Errorf(CodeNotFound, "event not found")
	}
	e, err := s.store.GetEvent(ctx, eventID)
	if errors.Is(err, ErrNotFound) || (err == nil && clientID != "" && e.ClientID != clientID) {
		return nil, Errorf(CodeNotFound, "event %s not found", truncate(eventID, 64))
	}
	return e, err
}

// WebhookTarget returns where and with which secrets to post an event: the order's
// notify_url, else the client's; url is "" when neither is set. secrets are the client's
// webhook secrets, newest first (WebhookSecrets), each of which signs the webhook.
func (s *Service) WebhookTarget(ctx context.Context, e *Event) (url string, secrets [][]byte, err error) {
	c, err := s.store.GetMerchant(ctx, e.ClientID)
	if err != nil {
		return "", nil, err
	}
	url = c.NotifyURL
	if e.OutTradeNo != "" {
		o, err := s.store.GetOrder(ctx, e.OutTradeNo)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return "", nil, err
		}
		if err == nil && o.NotifyURL != "" {
			url = o.NotifyURL
		}
	}
	if url == "" {
		return "", nil, nil
	}
	secrets, err = s.webhookSecretsOf(ctx, c)
	return url, secrets, err
}

// eventWritten calls the OnEvent hooks. They may be registered while the Service already
// serves (a dispatcher started after the first notification), so they are read atomically.
func (s *Service) eventWritten() {
	if fn := s.onEvent.Load(); fn != nil {
		(*fn)()
	}
}
