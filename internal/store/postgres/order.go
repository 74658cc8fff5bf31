package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const orderCols = `id, client_id, out_trade_no, total_amount, subject, body, status, trade_no,
	buyer_logon_id, buyer_id, qr_code, cashier_token, notify_url, metadata, refunded_amount,
	timeout_minutes, late, created_at, updated_at, expires_at, paid_at, closed_at, notified,
	next_check_at, check_count, version`

func scanOrder(s scanner) (*payment.Order, error) {
	var o payment.Order
	var meta string
	var total, refunded int64
	var status string
	err := s.Scan(&o.ID, &o.ClientID, &o.OutTradeNo, &total, &o.Subject, &o.Body, &status,
		&o.TradeNo, &o.BuyerLogonID, &o.BuyerID, &o.QRCode, &o.CashierToken, &o.NotifyURL, &meta,
		&refunded, &o.TimeoutMinutes, &o.Late, &o.CreatedAt, &o.UpdatedAt, &o.ExpiresAt, &o.PaidAt, &o.ClosedAt,
		&o.Notified, &o.NextCheckAt, &o.CheckCount, &o.Version)
	if err != nil {
		return nil, translate(err)
	}
	if err := json.Unmarshal([]byte(meta), &o.Metadata); err != nil {
		return nil, fmt.Errorf("postgres: order %d: metadata: %w", o.ID, err)
	}
	o.TotalAmount, o.RefundedAmount, o.Status = payment.Amount(total), payment.Amount(refunded), payment.Status(status)
	o.CreatedAt, o.UpdatedAt, o.ExpiresAt = utc(o.CreatedAt), utc(o.UpdatedAt), utc(o.ExpiresAt)
	o.PaidAt, o.ClosedAt, o.NextCheckAt = utcPtr(o.PaidAt), utcPtr(o.ClosedAt), utcPtr(o.NextCheckAt)
	return &o, nil
}

// metadataJSON encodes metadata; a nil map is stored as JSON null and read back nil.
func metadataJSON(m map[string]string) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("postgres: metadata: %w", err)
	}
	return string(b), nil
}

// InsertOrder adds o, setting o.ID and o.Version=1; ErrDuplicate when its out_trade_no
// or cashier token is taken.
func (q *queries) InsertOrder(ctx context.Context, o *payment.Order) error {
	meta, err := metadataJSON(o.Metadata)
	if err != nil {
		return err
	}
	id, err := q.insertID(ctx, `INSERT INTO orders (client_id, out_trade_no, total_amount, subject, body,
		status, trade_no, buyer_logon_id, buyer_id, qr_code, cashier_token, notify_url, metadata,
		refunded_amount, timeout_minutes, late, created_at, updated_at, expires_at, paid_at, closed_at,
		notified, next_check_at, check_count, version)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,1)
		RETURNING id`,
		o.ClientID, o.OutTradeNo, int64(o.TotalAmount), o.Subject, o.Body, string(o.Status), o.TradeNo, o.BuyerLogonID,
		o.BuyerID, o.QRCode, o.CashierToken, o.NotifyURL, meta, int64(o.RefundedAmount), o.TimeoutMinutes,
		o.Late, o.CreatedAt, o.UpdatedAt, o.ExpiresAt, o.PaidAt, o.ClosedAt, o.Notified, o.NextCheckAt, o.CheckCount)
	if err != nil {
		return err
	}
	o.ID, o.Version = id, 1
	return nil
}

// GetOrder returns the order with outTradeNo; ErrNotFound when there is none.
func (q *queries) GetOrder(ctx context.Context, outTradeNo string) (*payment.Order, error) {
	return scanOrder(q.db.QueryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE out_trade_no = $1`, outTradeNo))
}

// GetOrderByToken returns the order with the cashier token; ErrNotFound when there is none.
func (q *queries) GetOrderByToken(ctx context.Context, token string) (*payment.Order, error) {
	return scanOrder(q.db.QueryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE cashier_token = $1`, token))
}

// UpdateOrder writes every field of o but its id, client, out_trade_no and creation time
// where id and version match, and bumps o.Version. A concurrent writer of the row makes
// this statement wait for its commit and then match nothing: ErrStale. ErrNotFound when
// the row does not exist, ErrDuplicate on a taken cashier token.
func (q *queries) UpdateOrder(ctx context.Context, o *payment.Order) error {
	meta, err := metadataJSON(o.Metadata)
	if err != nil {
		return err
	}
	n, err := q.exec(ctx, `UPDATE orders SET total_amount = $1, subject = $2, body = $3, status = $4,
		trade_no = $5, buyer_logon_id = $6, buyer_id = $7, qr_code = $8, cashier_token = $9, notify_url = $10,
		metadata = $11, refunded_amount = $12, timeout_minutes = $13, late = $14, updated_at = $15, expires_at = $16,
		paid_at = $17, closed_at = $18, notified = $19, next_check_at = $20, check_count = $21, version = version + 1
		WHERE id = $22 AND version = $23`,
		int64(o.TotalAmount), o.Subject, o.Body, string(o.Status), o.TradeNo, o.BuyerLogonID, o.BuyerID, o.QRCode,
		o.CashierToken, o.NotifyURL, meta, int64(o.RefundedAmount), o.TimeoutMinutes, o.Late, o.UpdatedAt,
		o.ExpiresAt, o.PaidAt, o.ClosedAt, o.Notified, o.NextCheckAt, o.CheckCount, o.ID, o.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.staleOrMissing(ctx, "orders", o.ID)
	}
	o.Version++
	return nil
}

// staleOrMissing tells why an optimistic update matched no row.
func (q *queries) staleOrMissing(ctx context.Context, table string, id int64) error {
	var one int
	err := q.db.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one)
	if err != nil {
		return translate(err) // ErrNotFound, or the database's own failure
	}
	return payment.ErrStale
}

// ListOrders returns the orders f selects, newest (highest id) first, up to f.Limit
// (default 50). From is inclusive, To exclusive.
func (q *queries) ListOrders(ctx context.Context, f payment.OrderFilter) ([]*payment.Order, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		for _, v := range a {
			args = append(args, v)
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if f.ClientID != "" {
		add("client_id = ?", f.ClientID)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	if f.Search != "" {
		add("(out_trade_no = ? OR trade_no = ?)", f.Search, f.Search)
	}
	if !f.From.IsZero() {
		add("created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("created_at < ?", f.To)
	}
	query := `SELECT ` + orderCols + ` FROM orders`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limitOr(f.Limit, 50))
	query += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	return list(ctx, q, scanOrder, query, args...)
}

// DueOrders returns up to limit orders with NextCheckAt <= now, earliest first.
func (q *queries) DueOrders(ctx context.Context, now time.Time, limit int) ([]*payment.Order, error) {
	return list(ctx, q, scanOrder, `SELECT `+orderCols+` FROM orders
		WHERE next_check_at IS NOT NULL AND next_check_at <= $1 ORDER BY next_check_at, id LIMIT $2`,
		now, limitOr(limit, 100))
}
