package sqlstore

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

var stQueueDepths = define("QueueDepths", `SELECT
	(SELECT count(*) FROM deliveries WHERE next_attempt_at IS NOT NULL),
	(SELECT count(*) FROM orders WHERE next_check_at IS NOT NULL AND next_check_at <= ?),
	(SELECT count(*) FROM refunds WHERE next_check_at IS NOT NULL),
	(SELECT count(*) FROM reconciliation_discrepancies WHERE state = 'open')`)

// QueueDepths counts the three queues and the open discrepancies in one statement, so
// that they are one snapshot; each count reads only an index.
func (q *queries) QueueDepths(ctx context.Context, now time.Time) (payment.QueueDepths, error) {
	var d payment.QueueDepths
	err := q.scanOne(ctx, stQueueDepths, []any{&d.WebhooksPending, &d.OrdersDue, &d.RefundsPending, &d.DiscrepanciesOpen}, now)
	return d, err
}
