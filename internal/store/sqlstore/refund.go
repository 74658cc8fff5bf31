package sqlstore

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const refundCols = `id, client_id, out_trade_no, refund_no, amount, reason, status, failure_reason,
	created_at, updated_at, succeeded_at, next_check_at, check_count, version, attempted_at`

var (
	stInsertRefund = define("InsertRefund", `INSERT INTO refunds (client_id, out_trade_no, refund_no,
		amount, reason, status, failure_reason, created_at, updated_at, succeeded_at, next_check_at,
		check_count, version, attempted_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1,?)
		RETURNING id`)
	stGetRefund = define("GetRefund", `SELECT `+refundCols+` FROM refunds
		WHERE out_trade_no = ? AND refund_no = ?`)
	stUpdateRefund = define("UpdateRefund", `UPDATE refunds SET amount = ?, reason = ?, status = ?,
		failure_reason = ?, updated_at = ?, succeeded_at = ?, next_check_at = ?, check_count = ?,
		attempted_at = ?, version = version + 1
		WHERE id = ? AND version = ?`)
	stRefundExists = define("refundExists", `SELECT 1 FROM refunds WHERE id = ?`)
	stListRefunds  = define("ListRefunds", `SELECT `+refundCols+` FROM refunds WHERE out_trade_no = ? ORDER BY id`)
	stDueRefunds   = define("DueRefunds", `SELECT `+refundCols+` FROM refunds
		WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at, id LIMIT ?`)
)

func scanRefund(s scanner) (*payment.Refund, error) {
	var r payment.Refund
	err := s.Scan(&r.ID, &r.ClientID, &r.OutTradeNo, &r.RefundNo, &r.Amount, &r.Reason, &r.Status,
		&r.FailureReason, tm(&r.CreatedAt), tm(&r.UpdatedAt), tmNull(&r.SucceededAt), tmNull(&r.NextCheckAt),
		&r.CheckCount, &r.Version, tmNull(&r.AttemptedAt))
	return &r, err
}

// InsertRefund adds r, setting r.ID and r.Version=1. ErrDuplicate when (out_trade_no,
// refund_no) is taken; ErrNotFound when the order does not exist.
func (q *queries) InsertRefund(ctx context.Context, r *payment.Refund) error {
	id, err := q.id(ctx, stInsertRefund, r.ClientID, r.OutTradeNo, r.RefundNo, r.Amount, r.Reason,
		r.Status, r.FailureReason, r.CreatedAt, r.UpdatedAt, r.SucceededAt, r.NextCheckAt, r.CheckCount, r.AttemptedAt)
	if err != nil {
		return err
	}
	r.ID, r.Version = id, 1
	return nil
}

// GetRefund returns one refund; ErrNotFound when there is none.
func (q *queries) GetRefund(ctx context.Context, outTradeNo, refundNo string) (*payment.Refund, error) {
	return get(ctx, q, scanRefund, stGetRefund, outTradeNo, refundNo)
}

// UpdateRefund writes the mutable fields of r (amount, reason, status, failure reason,
// times, reconciler state) where id and version match, and bumps r.Version. ErrStale when
// the row changed since r was read, ErrNotFound when it does not exist.
func (q *queries) UpdateRefund(ctx context.Context, r *payment.Refund) error {
	n, err := q.exec(ctx, stUpdateRefund, r.Amount, r.Reason, r.Status, r.FailureReason, r.UpdatedAt,
		r.SucceededAt, r.NextCheckAt, r.CheckCount, r.AttemptedAt, r.ID, r.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.staleOrMissing(ctx, stRefundExists, r.ID)
	}
	r.Version++
	return nil
}

// ListRefunds returns the refunds of an order, oldest first.
func (q *queries) ListRefunds(ctx context.Context, outTradeNo string) ([]*payment.Refund, error) {
	return list(ctx, q, scanRefund, stListRefunds, outTradeNo)
}

// DueRefunds returns up to limit (default 100) refunds with NextCheckAt <= now, earliest first.
func (q *queries) DueRefunds(ctx context.Context, now time.Time, limit int) ([]*payment.Refund, error) {
	return list(ctx, q, scanRefund, stDueRefunds, now, limitOr(limit, 100))
}
