package sqlstore

import (
	"context"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const notificationCols = `id, received_at, remote_addr, notify_id, out_trade_no, trade_status, raw,
	verified, outcome, raw_length, raw_sha256`

const channelCallCols = `id, out_trade_no, method, request, response, outcome, duration_ns, created_at`

var (
	stInsertNotification = define("InsertNotification", `INSERT INTO notifications (received_at,
		remote_addr, notify_id, out_trade_no, trade_status, raw, verified, outcome, raw_length, raw_sha256)
		VALUES (?,?,?,?,?,?,?,?,?,?)
		RETURNING id`)
	stListNotifications = define("ListNotifications", `SELECT `+notificationCols+` FROM notifications
		ORDER BY id DESC LIMIT ?`)
	stListOrderNotifications = define("ListNotifications(order)", `SELECT `+notificationCols+`
		FROM notifications WHERE out_trade_no = ? ORDER BY id DESC LIMIT ?`)
	stListNotificationsByTrust = define("ListNotificationsByTrust", `SELECT `+notificationCols+`
		FROM notifications WHERE out_trade_no = ? AND verified = ? ORDER BY id DESC LIMIT ?`)
	stCountNotifications = define("CountNotifications", `SELECT count(*) FROM notifications
		WHERE out_trade_no = ? AND verified = ?`)
	stInsertChannelCall = define("InsertChannelCall", `INSERT INTO channel_calls (out_trade_no, method,
		request, response, outcome, duration_ns, created_at)
		VALUES (?,?,?,?,?,?,?)
		RETURNING id`)
	stListChannelCalls = define("ListChannelCalls", `SELECT `+channelCallCols+` FROM channel_calls
		ORDER BY id DESC LIMIT ?`)
	stListOrderChannelCalls = define("ListChannelCalls(order)", `SELECT `+channelCallCols+`
		FROM channel_calls WHERE out_trade_no = ? ORDER BY id DESC LIMIT ?`)
)

func scanNotification(s scanner) (*payment.NotificationRecord, error) {
	var n payment.NotificationRecord
	err := s.Scan(&n.ID, tm(&n.ReceivedAt), &n.RemoteAddr, &n.NotifyID, &n.OutTradeNo, &n.TradeStatus,
		&n.Raw, &n.Verified, &n.Outcome, &n.RawLength, &n.RawSHA256)
	return &n, err
}

// InsertNotification keeps the audit row of one notification and sets n.ID.
func (q *queries) InsertNotification(ctx context.Context, n *payment.NotificationRecord) error {
	id, err := q.id(ctx, stInsertNotification, n.ReceivedAt, n.RemoteAddr, n.NotifyID, n.OutTradeNo,
		n.TradeStatus, n.Raw, n.Verified, n.Outcome, n.RawLength, n.RawSHA256)
	if err != nil {
		return err
	}
	n.ID = id
	return nil
}

// ListNotifications returns up to limit (default 100) notifications of an order, newest
// first; an empty outTradeNo lists every order's.
func (q *queries) ListNotifications(ctx context.Context, outTradeNo string, limit int) ([]*payment.NotificationRecord, error) {
	if outTradeNo == "" {
		return list(ctx, q, scanNotification, stListNotifications, limitOr(limit, 100))
	}
	return list(ctx, q, scanNotification, stListOrderNotifications, outTradeNo, limitOr(limit, 100))
}

// ListNotificationsByTrust returns up to limit notifications of an order whose signature
// verified (verified) or did not, newest first.
func (q *queries) ListNotificationsByTrust(ctx context.Context, outTradeNo string, verified bool, limit int) ([]*payment.NotificationRecord, error) {
	return list(ctx, q, scanNotification, stListNotificationsByTrust, outTradeNo, verified, limitOr(limit, 100))
}

// CountNotifications counts the notifications of an order whose signature verified
// (verified) or did not.
func (q *queries) CountNotifications(ctx context.Context, outTradeNo string, verified bool) (int64, error) {
	var n int64
	err := q.scanOne(ctx, stCountNotifications, []any{&n}, outTradeNo, verified)
	return n, err
}

func scanChannelCall(s scanner) (*payment.ChannelCall, error) {
	var c payment.ChannelCall
	err := s.Scan(&c.ID, &c.OutTradeNo, &c.Method, &c.Request, &c.Response, &c.Outcome, &c.Duration,
		tm(&c.CreatedAt))
	return &c, err
}

// InsertChannelCall logs one call to Alipay and sets c.ID.
func (q *queries) InsertChannelCall(ctx context.Context, c *payment.ChannelCall) error {
	id, err := q.id(ctx, stInsertChannelCall, c.OutTradeNo, c.Method, c.Request, c.Response, c.Outcome,
		int64(c.Duration), c.CreatedAt)
	if err != nil {
		return err
	}
	c.ID = id
	return nil
}

// ListChannelCalls returns up to limit (default 100) calls about an order, newest first;
// an empty outTradeNo lists every order's.
func (q *queries) ListChannelCalls(ctx context.Context, outTradeNo string, limit int) ([]*payment.ChannelCall, error) {
	if outTradeNo == "" {
		return list(ctx, q, scanChannelCall, stListChannelCalls, limitOr(limit, 100))
	}
	return list(ctx, q, scanChannelCall, stListOrderChannelCalls, outTradeNo, limitOr(limit, 100))
}
