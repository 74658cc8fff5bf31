package sqlstore

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

var (
	stClaimDueOrders = define("ClaimDueOrders", `UPDATE orders SET next_check_at = ?, version = version + 1
		WHERE id IN (SELECT id FROM orders WHERE next_check_at IS NOT NULL AND next_check_at <= ?
			ORDER BY next_check_at, id LIMIT ?{skip_locked})
		RETURNING `+orderCols)
	stClaimDueRefunds = define("ClaimDueRefunds", `UPDATE refunds SET next_check_at = ?, version = version + 1
		WHERE id IN (SELECT id FROM refunds WHERE next_check_at IS NOT NULL AND next_check_at <= ?
			ORDER BY next_check_at, id LIMIT ?{skip_locked})
		RETURNING `+refundCols)
)

// ClaimDueOrders moves the earliest due orders' next check to leaseUntil in one
// UPDATE … RETURNING, so that reconcilers never take the same order twice (SQLite: the
// statement holds the write lock; PostgreSQL: its subquery locks the rows FOR UPDATE SKIP
// LOCKED), and returns up to limit (default 100) of them in ID order.
func (q *queries) ClaimDueOrders(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*payment.Order, error) {
	os, err := list(ctx, q, scanOrder, stClaimDueOrders, leaseUntil, now, limitOr(limit, 100))
	sortBy(os, func(o *payment.Order) int64 { return o.ID })
	return os, err
}

// ClaimDueRefunds is ClaimDueOrders for refunds.
func (q *queries) ClaimDueRefunds(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*payment.Refund, error) {
	rs, err := list(ctx, q, scanRefund, stClaimDueRefunds, leaseUntil, now, limitOr(limit, 100))
	sortBy(rs, func(r *payment.Refund) int64 { return r.ID })
	return rs, err
}
