package postgres

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const refundCols = `id, client_id, out_trade_no, refund_no, amount, reason, status, failure_reason,
	created_at, updated_at, succeeded_at, next_check_at, check_count, version`

func scanRefund(s scanner) (*payment.Refund, error) {
	var r payment.Refund
	var amount int64
	var status string
	err := s.Scan(&r.ID, &r.ClientID, &r.OutTradeNo, &r.RefundNo, &amount, &r.Reason, &status,
		&r.FailureReason, &r.CreatedAt, &r.UpdatedAt, &r.SucceededAt, &r.NextCheckAt, &r.CheckCount, &r.Version)
	if err != nil {
		return nil, translate(err)
	}
	r.Amount, r.Status = payment.Amount(amount), payment.RefundStatus(status)
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	r.SucceededAt, r.NextCheckAt = utcPtr(r.SucceededAt), utcPtr(r.NextCheckAt)
	return &r, nil
}

// InsertRefund adds r, setting r.ID and r.Version=1. ErrDuplicate when (out_trade_no,
// refund_no) is taken; ErrNotFound when the order does not exist.
func (q *queries) InsertRefund(ctx context.Context, r *payment.Refund) error {
	id, err := q.insertID(ctx, `INSERT INTO refunds (client_id, out_trade_no, refund_no, amount, reason,
		status, failure_reason, created_at, updated_at, succeeded_at, next_check_at, check_count, version)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,1) RETURNING id`,
		r.ClientID, r.OutTradeNo, r.RefundNo, int64(r.Amount), r.Reason, string(r.Status), r.FailureReason,
		r.CreatedAt, r.UpdatedAt, r.SucceededAt, r.NextCheckAt, r.CheckCount)
	if err != nil {
		return err
	}
	r.ID, r.Version = id, 1
	return nil
}

// GetRefund returns one refund; ErrNotFound when there is none.
func (q *queries) GetRefund(ctx context.Context, outTradeNo, refundNo string) (*payment.Refund, error) {
	return scanRefund(q.db.QueryRow(ctx, `SELECT `+refundCols+` FROM refunds
		WHERE out_trade_no = $1 AND refund_no = $2`, outTradeNo, refundNo))
}

// UpdateRefund writes the mutable fields of r (amount, reason, status, failure reason,
// times, reconciler state) where id and version match, and bumps r.Version. ErrStale when
// the row changed since r was read, ErrNotFound when it does not exist.
func (q *queries) UpdateRefund(ctx context.Context, r *payment.Refund) error {
	n, err := q.exec(ctx, `UPDATE refunds SET amount = $1, reason = $2, status = $3, failure_reason = $4,
		updated_at = $5, succeeded_at = $6, next_check_at = $7, check_count = $8, version = version + 1
		WHERE id = $9 AND version = $10`,
		int64(r.Amount), r.Reason, string(r.Status), r.FailureReason, r.UpdatedAt, r.SucceededAt,
		r.NextCheckAt, r.CheckCount, r.ID, r.Version)
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
	return list(ctx, q, scanRefund, `SELECT `+refundCols+` FROM refunds WHERE out_trade_no = $1 ORDER BY id`, outTradeNo)
}

// DueRefunds returns up to limit refunds with NextCheckAt <= now, earliest first.
func (q *queries) DueRefunds(ctx context.Context, now time.Time, limit int) ([]*payment.Refund, error) {
	return list(ctx, q, scanRefund, `SELECT `+refundCols+` FROM refunds
		WHERE next_check_at IS NOT NULL AND next_check_at <= $1 ORDER BY next_check_at, id LIMIT $2`,
		now, limitOr(limit, 100))
}
