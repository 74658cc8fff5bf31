package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

var (
	stListPaidOrders = define("ListPaidOrders", `SELECT `+orderCols+` FROM orders
		WHERE paid_at >= ? AND paid_at < ? AND id > ? ORDER BY id LIMIT ?`)
	stListSucceededRefunds = define("ListSucceededRefunds", `SELECT `+refundCols+` FROM refunds
		WHERE status = 'succeeded' AND succeeded_at >= ? AND succeeded_at < ? AND id > ? ORDER BY id LIMIT ?`)
	stClaimReconciliation = define("ClaimReconciliation", `INSERT INTO reconciliation_schedule
		(bill_date, next_attempt_at, lease_owner, attempts, updated_at)
		VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (bill_date) DO UPDATE SET next_attempt_at = excluded.next_attempt_at,
			lease_owner = excluded.lease_owner, attempts = reconciliation_schedule.attempts + 1,
			updated_at = excluded.updated_at
		WHERE reconciliation_schedule.next_attempt_at IS NOT NULL AND reconciliation_schedule.next_attempt_at <= ?
		RETURNING attempts`)
	stFinishReconciliation = define("FinishReconciliation", `UPDATE reconciliation_schedule
		SET next_attempt_at = ?, lease_owner = '', updated_at = ?
		WHERE bill_date = ? AND lease_owner = ?`)
)

// ListPaidOrders returns up to limit (default 500) orders paid in [from, to) with ID above
// after, by ID.
func (q *queries) ListPaidOrders(ctx context.Context, from, to time.Time, after int64, limit int) ([]*payment.Order, error) {
	return list(ctx, q, scanOrder, stListPaidOrders, from, to, after, limitOr(limit, 500))
}

// ListSucceededRefunds returns up to limit (default 500) refunds succeeded in [from, to)
// with ID above after, by ID.
func (q *queries) ListSucceededRefunds(ctx context.Context, from, to time.Time, after int64, limit int) ([]*payment.Refund, error) {
	return list(ctx, q, scanRefund, stListSucceededRefunds, from, to, after, limitOr(limit, 500))
}

// ClaimReconciliation takes the day in one upsert: the row is created on the first
// attempt; an existing one changes hands only when it is not done and due (its retry time
// or its lease ended at or before now). On PostgreSQL the conflicting row is locked, so two
// instances never both win; on SQLite the write lock keeps them apart.
func (q *queries) ClaimReconciliation(ctx context.Context, day payment.BillDay, owner string, now, leaseUntil time.Time) (bool, error) {
	var attempts int
	err := q.scanOne(ctx, stClaimReconciliation, []any{&attempts}, day, leaseUntil, owner, now, now)
	if errors.Is(err, payment.ErrNotFound) {
		return false, nil // done, or not due: the upsert changed no row
	}
	return err == nil, err
}

// FinishReconciliation ends owner's claim of day: done (next nil) or due again at next.
// ErrStale when owner does not hold it.
func (q *queries) FinishReconciliation(ctx context.Context, day payment.BillDay, owner string, next *time.Time, now time.Time) error {
	n, err := q.exec(ctx, stFinishReconciliation, next, now, day, owner)
	if err == nil && n == 0 {
		err = payment.ErrStale
	}
	return err
}
