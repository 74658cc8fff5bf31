package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// ClaimDueOrders moves the earliest due orders' next check to leaseUntil in one
// UPDATE … RETURNING whose subquery locks them FOR UPDATE SKIP LOCKED, so that reconcilers
// on several instances never take the same order, and returns them in ID order.
func (q *queries) ClaimDueOrders(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*payment.Order, error) {
	os, err := list(ctx, q, scanOrder, `UPDATE orders SET next_check_at = $1, version = version + 1
		WHERE id IN (SELECT id FROM orders WHERE next_check_at IS NOT NULL AND next_check_at <= $2
			ORDER BY next_check_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+orderCols, leaseUntil, now, limitOr(limit, 100))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(os, func(a, b *payment.Order) int { return cmp.Compare(a.ID, b.ID) })
	return os, nil
}

// ClaimDueRefunds is ClaimDueOrders for refunds.
func (q *queries) ClaimDueRefunds(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*payment.Refund, error) {
	rs, err := list(ctx, q, scanRefund, `UPDATE refunds SET next_check_at = $1, version = version + 1
		WHERE id IN (SELECT id FROM refunds WHERE next_check_at IS NOT NULL AND next_check_at <= $2
			ORDER BY next_check_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+refundCols, leaseUntil, now, limitOr(limit, 100))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rs, func(a, b *payment.Refund) int { return cmp.Compare(a.ID, b.ID) })
	return rs, nil
}
