package postgres

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const notificationCols = `id, received_at, remote_addr, notify_id, out_trade_no, trade_status, raw,
	verified, outcome`

func scanNotification(s scanner) (*payment.NotificationRecord, error) {
	var n payment.NotificationRecord
	err := s.Scan(&n.ID, &n.ReceivedAt, &n.RemoteAddr, &n.NotifyID, &n.OutTradeNo, &n.TradeStatus, &n.Raw,
		&n.Verified, &n.Outcome)
	if err != nil {
		return nil, translate(err)
	}
	n.ReceivedAt = utc(n.ReceivedAt)
	return &n, nil
}

// InsertNotification keeps the audit row of one notification and sets n.ID.
func (q *queries) InsertNotification(ctx context.Context, n *payment.NotificationRecord) error {
	id, err := q.insertID(ctx, `INSERT INTO notifications (received_at, remote_addr, notify_id,
		out_trade_no, trade_status, raw, verified, outcome) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
		n.ReceivedAt, n.RemoteAddr, n.NotifyID, n.OutTradeNo, n.TradeStatus, n.Raw, n.Verified, n.Outcome)
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
		return list(ctx, q, scanNotification, `SELECT `+notificationCols+` FROM notifications ORDER BY id DESC LIMIT $1`, limitOr(limit, 100))
	}
	return list(ctx, q, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE out_trade_no = $1 ORDER BY id DESC LIMIT $2`, outTradeNo, limitOr(limit, 100))
}

const channelCallCols = `id, out_trade_no, method, request, response, outcome, duration_ns, created_at`

func scanChannelCall(s scanner) (*payment.ChannelCall, error) {
	var c payment.ChannelCall
	var ns int64
	err := s.Scan(&c.ID, &c.OutTradeNo, &c.Method, &c.Request, &c.Response, &c.Outcome, &ns, &c.CreatedAt)
	if err != nil {
		return nil, translate(err)
	}
	c.Duration, c.CreatedAt = time.Duration(ns), utc(c.CreatedAt)
	return &c, nil
}

// InsertChannelCall logs one call to Alipay and sets c.ID.
func (q *queries) InsertChannelCall(ctx context.Context, c *payment.ChannelCall) error {
	id, err := q.insertID(ctx, `INSERT INTO channel_calls (out_trade_no, method, request, response, outcome,
		duration_ns, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`,
		c.OutTradeNo, c.Method, c.Request, c.Response, c.Outcome, int64(c.Duration), c.CreatedAt)
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
		return list(ctx, q, scanChannelCall, `SELECT `+channelCallCols+` FROM channel_calls ORDER BY id DESC LIMIT $1`, limitOr(limit, 100))
	}
	return list(ctx, q, scanChannelCall, `SELECT `+channelCallCols+` FROM channel_calls
		WHERE out_trade_no = $1 ORDER BY id DESC LIMIT $2`, outTradeNo, limitOr(limit, 100))
}
