package sqlite

import (
	"context"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const eventCols = `seq, id, key, type, client_id, out_trade_no, created_at, data`

func scanEvent(s scanner) (*payment.Event, error) {
	var e payment.Event
	var created int64
	var data []byte
	if err := s.Scan(&e.Seq, &e.ID, &e.Key, &e.Type, &e.ClientID, &e.OutTradeNo, &created, &data); err != nil {
		return nil, translate(err)
	}
	e.CreatedAt = fromMicros(created)
	if len(data) > 0 {
		e.Data = data
	}
	return &e, nil
}

// InsertEvent adds e to the outbox and sets e.Seq; ErrDuplicate when e.ID or e.Key exists.
func (q *queries) InsertEvent(ctx context.Context, e *payment.Event) error {
	seq, err := q.insert(ctx, `INSERT INTO events (id, key, type, client_id, out_trade_no, created_at, data)
		VALUES (?,?,?,?,?,?,?)`,
		e.ID, e.Key, e.Type, e.ClientID, e.OutTradeNo, micros(e.CreatedAt), string(e.Data))
	if err != nil {
		return err
	}
	e.Seq = seq
	return nil
}

// GetEvent returns the event with id; ErrNotFound when there is none.
func (q *queries) GetEvent(ctx context.Context, id string) (*payment.Event, error) {
	return scanEvent(q.db.QueryRowContext(ctx, `SELECT `+eventCols+` FROM events WHERE id = ?`, id))
}

// ListEvents returns the client's events with Seq > after, ascending, up to limit
// (default 100). An empty clientID lists every client's.
func (q *queries) ListEvents(ctx context.Context, clientID string, after int64, limit int) ([]*payment.Event, error) {
	if clientID == "" {
		return list(ctx, q, scanEvent, `SELECT `+eventCols+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
			after, limitOr(limit, 100))
	}
	return list(ctx, q, scanEvent, `SELECT `+eventCols+` FROM events
		WHERE client_id = ? AND seq > ? ORDER BY seq LIMIT ?`, clientID, after, limitOr(limit, 100))
}

// ListOrderEvents returns an order's events, ascending.
func (q *queries) ListOrderEvents(ctx context.Context, outTradeNo string) ([]*payment.Event, error) {
	return list(ctx, q, scanEvent, `SELECT `+eventCols+` FROM events WHERE out_trade_no = ? ORDER BY seq`, outTradeNo)
}
