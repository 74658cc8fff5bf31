package payment

import (
	"context"
	"time"
)

// QueueDepths are the sizes of the gateway's background queues at one moment, for
// monitoring (GET /metrics).
type QueueDepths struct {
	WebhooksPending int64 // deliveries still to be attempted: due, leased or waiting for a retry
	OrdersDue       int64 // orders whose reconciler check is due now
	RefundsPending  int64 // refunds not yet final, awaiting a check by the reconciler
	// DiscrepanciesOpen counts reconciliation discrepancies in state open, over all days.
	DiscrepanciesOpen int64
}

// DepthQueries measure the queues (part of Queries).
type DepthQueries interface {
	// QueueDepths counts the pending webhook deliveries, the orders due for a check at now,
	// the pending refunds and the open reconciliation discrepancies, through indexes.
	QueueDepths(ctx context.Context, now time.Time) (QueueDepths, error)
}
