package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const refundCols = `id, client_id, out_trade_no, refund_no, amount, reason, status, failure_reason,
	created_at, updated_at, succeeded_at, next_check_at, check_count, version`

func scanRefund(s scanner) (*payment.Refund, error) {
	var r payment.Refund
	var created, updated int64
	var succeeded, next sql.NullInt64
	err := s.Scan(&r.ID, &r.ClientID, &r.OutTradeNo, &r.RefundNo, &r.Amount, &r.Reason, &r.Status,
		&r.FailureReason, &created, &updated, &succeeded, &next, &r.CheckCount, &r.Version)
	if err != nil {
		return nil, translate(err)
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	r.SucceededAt, r.NextCheckAt = timePtr(succeeded), timePtr(next)
	return &r, nil
}

// InsertRefund adds r, setting r.ID and r.Version=1. ErrDuplicate when (out_trade_no,
// refund_no) is taken; ErrNotFound when the order does not exist.
func (q *queries) InsertRefund(ctx context.Context, r *payment.Refund) error {
	id, err := q.insert(ctx, `INSERT INTO refunds (client_id, out_trade_no, refund_no, amount, reason,
		status, failure_reason, created_at, updated_at, succeeded_at, next_check_at, check_count, version)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1)`,
		r.ClientID, r.OutTradeNo, r.RefundNo, r.Amount, r.Reason, r.Status, r.FailureReason,
		micros(r.CreatedAt), micros(r.UpdatedAt), nullMicros(r.SucceededAt), nullMicros(r.NextCheckAt),
		r.CheckCount)
	if err != nil {
		return err
	}
	r.ID, r.Version = id, 1
	return nil
}

// GetRefund returns one refund; ErrNotFound when there is none.
func (q *queries) GetRefund(ctx context.Context, outTradeNo, refundNo string) (*payment.Refund, error) {
	return scanRefund(q.db.QueryRowContext(ctx, `SELECT `+refundCols+` FROM refunds
		WHERE out_trade_no = ? AND refund_no = ?`, outTradeNo, refundNo))
}

// UpdateRefund writes the mutable fields of r (amount, reason, status, failure reason,
// times, reconciler state) where id and version match, and bumps r.Version. ErrStale when
// the row changed since r was read, ErrNotFound when it does not exist.
func (q *queries) UpdateRefund(ctx context.Context, r *payment.Refund) error {
	n, err := q.exec(ctx, `UPDATE refunds SET amount = ?, reason = ?, status = ?, failure_reason = ?,
		updated_at = ?, succeeded_at = ?, next_check_at = ?, check_count = ?, version = version + 1
		WHERE id = ? AND version = ?`,
		r.Amount, r.Reason, r.Status, r.FailureReason, micros(r.UpdatedAt), nullMicros(r.SucceededAt),
		nullMicros(r.NextCheckAt), r.CheckCount, r.ID, r.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.staleOrMissing(ctx, "refunds", r.ID)
	}
	r.Version++
	return nil
}

// ListRefunds returns the refunds of an order, oldest first.
func (q *queries) ListRefunds(ctx context.Context, outTradeNo string) ([]*payment.Refund, error) {
	return list(ctx, q, scanRefund, `SELECT `+refundCols+` FROM refunds WHERE out_trade_no = ? ORDER BY id`, outTradeNo)
}

// DueRefunds returns up to limit refunds with NextCheckAt <= now, earliest first.
func (q *queries) DueRefunds(ctx context.Context, now time.Time, limit int) ([]*payment.Refund, error) {
	return list(ctx, q, scanRefund, `SELECT `+refundCols+` FROM refunds
		WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at, id LIMIT ?`,
		micros(now), limitOr(limit, 100))
}
