package sqlstore

import (
	"context"
	"time"
)

// openOrder is true for an out_trade_no whose order or refund is still in progress: the
// order pending, or the reconciler still to check it or one of its refunds. Its audit
// rows are kept whatever their age, since the reconciler and the console read them.
const openOrder = `(EXISTS (SELECT 1 FROM orders o WHERE o.out_trade_no = x.out_trade_no
			AND (o.status = 'pending' OR o.next_check_at IS NOT NULL))
		OR EXISTS (SELECT 1 FROM refunds r WHERE r.out_trade_no = x.out_trade_no
			AND (r.status = 'pending' OR r.next_check_at IS NOT NULL)))`

var (
	stPurgeNonceBatch = define("PurgeNonceBatch", `DELETE FROM nonces WHERE (app_id, nonce) IN (
		SELECT app_id, nonce FROM nonces WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`)
	stPurgeNotifications = define("PurgeNotifications", `DELETE FROM notifications WHERE id IN (
		SELECT x.id FROM notifications x WHERE x.received_at < ? AND NOT `+openOrder+`
		ORDER BY x.received_at, x.id LIMIT ?)`)
	stPurgeChannelCalls = define("PurgeChannelCalls", `DELETE FROM channel_calls WHERE id IN (
		SELECT x.id FROM channel_calls x WHERE x.created_at < ? AND NOT `+openOrder+`
		ORDER BY x.created_at, x.id LIMIT ?)`)
	stPurgeDeliveryAttempts = define("PurgeDeliveryAttempts", `DELETE FROM delivery_attempts WHERE id IN (
		SELECT a.id FROM delivery_attempts a WHERE a.at < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = a.event_id AND d.status = 'pending')
		ORDER BY a.at, a.id LIMIT ?)`)
)

// The purges of retention (docs/decisions.md, "Retention"). Each deletes at most limit
// rows, oldest first, in one short transaction of its own, and returns how many; the
// caller repeats it until fewer than limit go, so that the write lock is never held for
// long. Orders, refunds and events are never deleted.

// PurgeNonceBatch deletes up to limit nonces that expired at or before now.
func (q *queries) PurgeNonceBatch(ctx context.Context, now time.Time, limit int) (int64, error) {
	return q.exec(ctx, stPurgeNonceBatch, now, limit)
}

// PurgeNotifications deletes up to limit notifications received before before, except
// those of an order or refund still in progress.
func (q *queries) PurgeNotifications(ctx context.Context, before time.Time, limit int) (int64, error) {
	return q.exec(ctx, stPurgeNotifications, before, limit)
}

// PurgeChannelCalls deletes up to limit Alipay call logs made before before, except those
// of an order or refund still in progress.
func (q *queries) PurgeChannelCalls(ctx context.Context, before time.Time, limit int) (int64, error) {
	return q.exec(ctx, stPurgeChannelCalls, before, limit)
}

// PurgeDeliveryAttempts deletes up to limit webhook attempts made before before, except
// those of an event still being delivered.
func (q *queries) PurgeDeliveryAttempts(ctx context.Context, before time.Time, limit int) (int64, error) {
	return q.exec(ctx, stPurgeDeliveryAttempts, before, limit)
}
