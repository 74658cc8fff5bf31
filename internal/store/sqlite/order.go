package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	var created, updated, expires int64
	var paid, closed, next sql.NullInt64
	err := s.Scan(&o.ID, &o.ClientID, &o.OutTradeNo, &o.TotalAmount, &o.Subject, &o.Body, &o.Status,
		&o.TradeNo, &o.BuyerLogonID, &o.BuyerID, &o.QRCode, &o.CashierToken, &o.NotifyURL, &meta,
		&o.RefundedAmount, &o.TimeoutMinutes, &o.Late, &created, &updated, &expires, &paid, &closed,
		&o.Notified, &next, &o.CheckCount, &o.Version)
	if err != nil {
		return nil, translate(err)
	}
	if err := json.Unmarshal([]byte(meta), &o.Metadata); err != nil {
		return nil, fmt.Errorf("sqlite: order %d: metadata: %w", o.ID, err)
	}
	o.CreatedAt, o.UpdatedAt, o.ExpiresAt = fromMicros(created), fromMicros(updated), fromMicros(expires)
	o.PaidAt, o.ClosedAt, o.NextCheckAt = timePtr(paid), timePtr(closed), timePtr(next)
	return &o, nil
}

// metadataJSON encodes metadata; a nil map is stored as JSON null and read back nil.
func metadataJSON(m map[string]string) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("sqlite: metadata: %w", err)
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
	id, err := q.insert(ctx, `INSERT INTO orders (client_id, out_trade_no, total_amount, subject, body,
		status, trade_no, buyer_logon_id, buyer_id, qr_code, cashier_token, notify_url, metadata,
		refunded_amount, timeout_minutes, late, created_at, updated_at, expires_at, paid_at, closed_at,
		notified, next_check_at, check_count, version)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)`,
		o.ClientID, o.OutTradeNo, o.TotalAmount, o.Subject, o.Body, o.Status, o.TradeNo, o.BuyerLogonID,
		o.BuyerID, o.QRCode, o.CashierToken, o.NotifyURL, meta, o.RefundedAmount, o.TimeoutMinutes,
		o.Late, micros(o.CreatedAt), micros(o.UpdatedAt), micros(o.ExpiresAt), nullMicros(o.PaidAt),
		nullMicros(o.ClosedAt), o.Notified, nullMicros(o.NextCheckAt), o.CheckCount)
	if err != nil {
		return err
	}
	o.ID, o.Version = id, 1
	return nil
}

// GetOrder returns the order with outTradeNo; ErrNotFound when there is none.
func (q *queries) GetOrder(ctx context.Context, outTradeNo string) (*payment.Order, error) {
	return scanOrder(q.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE out_trade_no = ?`, outTradeNo))
}

// GetOrderByToken returns the order with the cashier token; ErrNotFound when there is none.
func (q *queries) GetOrderByToken(ctx context.Context, token string) (*payment.Order, error) {
	return scanOrder(q.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE cashier_token = ?`, token))
}

// UpdateOrder writes every field of o but its id, client, out_trade_no and creation time
// where id and version match, and bumps o.Version. ErrStale when the row changed since o
// was read, ErrNotFound when it does not exist, ErrDuplicate on a taken cashier token.
func (q *queries) UpdateOrder(ctx context.Context, o *payment.Order) error {
	meta, err := metadataJSON(o.Metadata)
	if err != nil {
		return err
	}
	n, err := q.exec(ctx, `UPDATE orders SET total_amount = ?, subject = ?, body = ?, status = ?,
		trade_no = ?, buyer_logon_id = ?, buyer_id = ?, qr_code = ?, cashier_token = ?, notify_url = ?,
		metadata = ?, refunded_amount = ?, timeout_minutes = ?, late = ?, updated_at = ?, expires_at = ?,
		paid_at = ?, closed_at = ?, notified = ?, next_check_at = ?, check_count = ?, version = version + 1
		WHERE id = ? AND version = ?`,
		o.TotalAmount, o.Subject, o.Body, o.Status, o.TradeNo, o.BuyerLogonID, o.BuyerID, o.QRCode,
		o.CashierToken, o.NotifyURL, meta, o.RefundedAmount, o.TimeoutMinutes, o.Late, micros(o.UpdatedAt),
		micros(o.ExpiresAt), nullMicros(o.PaidAt), nullMicros(o.ClosedAt), o.Notified,
		nullMicros(o.NextCheckAt), o.CheckCount, o.ID, o.Version)
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
	err := q.db.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one)
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
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if f.ClientID != "" {
		add("client_id = ?", f.ClientID)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	if f.Search != "" {
		add("(out_trade_no = ? OR trade_no = ?)", f.Search, f.Search)
	}
	if !f.From.IsZero() {
		add("created_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < ?", micros(f.To))
	}
	query := `SELECT ` + orderCols + ` FROM orders`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limitOr(f.Limit, 50))
	return list(ctx, q, scanOrder, query, args...)
}

// DueOrders returns up to limit orders with NextCheckAt <= now, earliest first.
func (q *queries) DueOrders(ctx context.Context, now time.Time, limit int) ([]*payment.Order, error) {
	return list(ctx, q, scanOrder, `SELECT `+orderCols+` FROM orders
		WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at, id LIMIT ?`,
		micros(now), limitOr(limit, 100))
}
