package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const orderCols = `id, client_id, out_trade_no, total_amount, subject, body, status, trade_no,
	buyer_logon_id, buyer_id, qr_code, cashier_token, notify_url, metadata, refunded_amount,
	timeout_minutes, late, created_at, updated_at, expires_at, paid_at, closed_at, notified,
	next_check_at, check_count, version, kind, auth_code_sha256, timeout_seconds, failure_code,
	failure_sub_code, failure_reason, store_id, terminal_id, operator_id, channel`

var (
	stInsertOrder = define("InsertOrder", `INSERT INTO orders (client_id, out_trade_no, total_amount,
		subject, body, status, trade_no, buyer_logon_id, buyer_id, qr_code, cashier_token, notify_url,
		metadata, refunded_amount, timeout_minutes, late, created_at, updated_at, expires_at, paid_at,
		closed_at, notified, next_check_at, check_count, version, kind, auth_code_sha256,
		timeout_seconds, failure_code, failure_sub_code, failure_reason, store_id, terminal_id, operator_id, channel)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?,?,?,?,?,?,?)
		RETURNING id`)
	stGetOrder        = define("GetOrder", `SELECT `+orderCols+` FROM orders WHERE out_trade_no = ?`)
	stGetOrderByToken = define("GetOrderByToken", `SELECT `+orderCols+` FROM orders WHERE cashier_token = ?`)
	stUpdateOrder     = define("UpdateOrder", `UPDATE orders SET total_amount = ?, subject = ?, body = ?,
		status = ?, trade_no = ?, buyer_logon_id = ?, buyer_id = ?, qr_code = ?, cashier_token = ?,
		notify_url = ?, metadata = ?, refunded_amount = ?, timeout_minutes = ?, late = ?, updated_at = ?,
		expires_at = ?, paid_at = ?, closed_at = ?, notified = ?, next_check_at = ?, check_count = ?,
		failure_code = ?, failure_sub_code = ?, failure_reason = ?, store_id = ?, terminal_id = ?,
		operator_id = ?, version = version + 1
		WHERE id = ? AND version = ?`)
	stOrderExists = define("orderExists", `SELECT 1 FROM orders WHERE id = ?`)
	stDueOrders   = define("DueOrders", `SELECT `+orderCols+` FROM orders
		WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at, id LIMIT ?`)
)

func scanOrder(s scanner) (*payment.Order, error) {
	var o payment.Order
	var meta string
	err := s.Scan(&o.ID, &o.ClientID, &o.OutTradeNo, &o.TotalAmount, &o.Subject, &o.Body, &o.Status,
		&o.TradeNo, &o.BuyerLogonID, &o.BuyerID, &o.QRCode, &o.CashierToken, &o.NotifyURL, &meta,
		&o.RefundedAmount, &o.TimeoutMinutes, &o.Late, tm(&o.CreatedAt), tm(&o.UpdatedAt), tm(&o.ExpiresAt),
		tmNull(&o.PaidAt), tmNull(&o.ClosedAt), &o.Notified, tmNull(&o.NextCheckAt), &o.CheckCount, &o.Version,
		&o.Kind, &o.AuthCodeSHA256, &o.TimeoutSeconds, &o.FailureCode, &o.FailureSubCode, &o.FailureReason,
		&o.StoreID, &o.TerminalID, &o.OperatorID, &o.Channel)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(meta), &o.Metadata); err != nil {
		return nil, fmt.Errorf("order %d: metadata: %w", o.ID, err)
	}
	return &o, nil
}

// metadataJSON encodes metadata; a nil map is stored as JSON null and read back nil.
func metadataJSON(m map[string]string) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("metadata: %w", err)
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
	id, err := q.id(ctx, stInsertOrder, o.ClientID, o.OutTradeNo, o.TotalAmount, o.Subject, o.Body,
		o.Status, o.TradeNo, o.BuyerLogonID, o.BuyerID, o.QRCode, o.CashierToken, o.NotifyURL, meta,
		o.RefundedAmount, o.TimeoutMinutes, o.Late, o.CreatedAt, o.UpdatedAt, o.ExpiresAt, o.PaidAt,
		o.ClosedAt, o.Notified, o.NextCheckAt, o.CheckCount, kindOrQR(o.Kind), o.AuthCodeSHA256,
		o.TimeoutSeconds, o.FailureCode, o.FailureSubCode, o.FailureReason, o.StoreID, o.TerminalID, o.OperatorID,
		payment.OrderChannel(o))
	if err != nil {
		return err
	}
	o.ID, o.Version, o.Channel = id, 1, payment.OrderChannel(o)
	return nil
}

// kindOrQR stores an order without a kind as a QR order, the kind of every order before
// barcode payment.
func kindOrQR(k payment.Kind) payment.Kind {
	if k == "" {
		return payment.KindQR
	}
	return k
}

// GetOrder returns the order with outTradeNo; ErrNotFound when there is none.
func (q *queries) GetOrder(ctx context.Context, outTradeNo string) (*payment.Order, error) {
	return get(ctx, q, scanOrder, stGetOrder, outTradeNo)
}

// GetOrderByToken returns the order with the cashier token; ErrNotFound when there is none.
func (q *queries) GetOrderByToken(ctx context.Context, token string) (*payment.Order, error) {
	return get(ctx, q, scanOrder, stGetOrderByToken, token)
}

// UpdateOrder writes every field of o but its id, client, out_trade_no and creation time
// where id and version match, and bumps o.Version. ErrStale when the row changed since o
// was read (on PostgreSQL a concurrent writer's row lock makes this statement wait for its
// commit and then match nothing), ErrNotFound when it does not exist, ErrDuplicate on a
// taken cashier token.
func (q *queries) UpdateOrder(ctx context.Context, o *payment.Order) error {
	meta, err := metadataJSON(o.Metadata)
	if err != nil {
		return err
	}
	n, err := q.exec(ctx, stUpdateOrder, o.TotalAmount, o.Subject, o.Body, o.Status, o.TradeNo,
		o.BuyerLogonID, o.BuyerID, o.QRCode, o.CashierToken, o.NotifyURL, meta, o.RefundedAmount,
		o.TimeoutMinutes, o.Late, o.UpdatedAt, o.ExpiresAt, o.PaidAt, o.ClosedAt, o.Notified,
		o.NextCheckAt, o.CheckCount, o.FailureCode, o.FailureSubCode, o.FailureReason, o.StoreID, o.TerminalID,
		o.OperatorID, o.ID, o.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.staleOrMissing(ctx, stOrderExists, o.ID)
	}
	o.Version++
	return nil
}

// staleOrMissing tells why an optimistic update matched no row: ErrStale when the row
// (exists finds it by id) is there, ErrNotFound when it is not.
func (q *queries) staleOrMissing(ctx context.Context, exists stmt, id int64) error {
	if err := q.exists(ctx, exists, id); err != nil {
		return err // ErrNotFound, or the database's own failure
	}
	return payment.ErrStale
}

// ListOrders returns the orders f selects, newest (highest id) first, up to f.Limit
// (default 50). From is inclusive, To exclusive. The one statement built at run time: each
// filter that is set adds its condition, so that every shape can use its index.
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
		if f.From.IsZero() {
			add("id < ?", f.Before)
		} else {
			// With a time range, the cursor must not offer the planner the primary key:
			// SQLite took "id < ?" as a walk of every older order (a year's, for the
			// dashboard's second page of today) over orders_created_at's day of rows.
			add("+id < ?", f.Before)
		}
	}
	if !f.From.IsZero() {
		add("created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("created_at < ?", f.To)
	}
	limit := limitOr(f.Limit, 50)
	if f.Search != "" {
		query, sargs := searchOrders(where, args, f.Search, limit)
		return listSQL(ctx, q, scanOrder, q.d.compile(query), sargs...)
	}
	query := `SELECT ` + orderCols + ` FROM orders`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	if f.From.IsZero() {
		query += ` ORDER BY id DESC LIMIT ?`
	} else {
		// A time range (the console's dashboard reads the last 24 hours) is found through
		// orders_created_at and then sorted: "+id" keeps the planner from walking the whole
		// table newest id first and filtering on created_at, which read every order of a
		// year to find a day's (docs/BENCHMARKS.md, "A million orders").
		query += ` ORDER BY +id DESC LIMIT ?`
	}
	args = append(args, limit)
	return listSQL(ctx, q, scanOrder, q.d.compile(query), args...)
}

// searchOrders is the console's search for one order number, out_trade_no or Alipay's
// trade_no, with the other filters: two index lookups, one per number (the unique
// out_trade_no index and orders_trade_no), whose few rows are then sorted. Written as one
// WHERE with OR, PostgreSQL walked the primary key newest first and filtered every row
// of a million-order table (docs/BENCHMARKS.md, "A million orders"). The second branch
// leaves out the row the first one found, so that no order comes twice.
func searchOrders(where []string, args []any, search string, limit int) (string, []any) {
	rest := ""
	if len(where) > 0 {
		rest = ` AND ` + strings.Join(where, " AND ")
	}
	query := `SELECT ` + orderCols + ` FROM orders WHERE out_trade_no = ?` + rest +
		` UNION ALL SELECT ` + orderCols + ` FROM orders WHERE trade_no = ? AND out_trade_no <> ?` + rest +
		` ORDER BY id DESC LIMIT ?`
	all := append([]any{search}, args...)
	all = append(all, search, search)
	all = append(all, args...)
	return query, append(all, limit)
}

// DueOrders returns up to limit (default 100) orders with NextCheckAt <= now, earliest first.
func (q *queries) DueOrders(ctx context.Context, now time.Time, limit int) ([]*payment.Order, error) {
	return list(ctx, q, scanOrder, stDueOrders, now, limitOr(limit, 100))
}
