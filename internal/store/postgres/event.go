package postgres

import (
	"context"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// outboxLock is the advisory lock key held from drawing an event's seq to the commit.
const outboxLock = 0x66326670_0002 // "f2fp" 2

const eventCols = `seq, id, key, type, client_id, out_trade_no, created_at, data`

func scanEvent(s scanner) (*payment.Event, error) {
	var e payment.Event
	var data string
	if err := s.Scan(&e.Seq, &e.ID, &e.Key, &e.Type, &e.ClientID, &e.OutTradeNo, &e.CreatedAt, &data); err != nil {
		return nil, translate(err)
	}
	e.CreatedAt = utc(e.CreatedAt)
	if data != "" {
		e.Data = []byte(data)
	}
	return &e, nil
}

// InsertEvent adds e to the outbox (its delivery is created by a trigger in the same
// statement) and sets e.Seq; ErrDuplicate when e.ID or e.Key exists.
//
// The insert first takes a transaction-level advisory lock, held until the transaction
// ends, so that events commit in seq order: a merchant paging with ?after= or a relay
// reading past a cursor never sees seq N+1 before seq N and so never skips N. The lock is
// taken last in every transaction of the Service (the event is its final write), so it
// serialises only the commits of event-writing transactions.
func (q *queries) InsertEvent(ctx context.Context, e *payment.Event) error {
	return q.atomic(ctx, func(q *queries) error {
		if _, err := q.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(outboxLock)); err != nil {
			return err
		}
		seq, err := q.insertID(ctx, `INSERT INTO events (id, key, type, client_id, out_trade_no, created_at, data)
			VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING seq`,
			e.ID, e.Key, e.Type, e.ClientID, e.OutTradeNo, e.CreatedAt, string(e.Data))
		if err != nil {
			return err
		}
		e.Seq = seq
		return nil
	})
}

// GetEvent returns the event with id; ErrNotFound when there is none.
func (q *queries) GetEvent(ctx context.Context, id string) (*payment.Event, error) {
	return scanEvent(q.db.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1`, id))
}

// ListEvents returns the client's events with Seq > after, ascending, up to limit
// (default 100). An empty clientID lists every client's.
func (q *queries) ListEvents(ctx context.Context, clientID string, after int64, limit int) ([]*payment.Event, error) {
	if clientID == "" {
		return list(ctx, q, scanEvent, `SELECT `+eventCols+` FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`,
			after, limitOr(limit, 100))
	}
	return list(ctx, q, scanEvent, `SELECT `+eventCols+` FROM events
		WHERE client_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, clientID, after, limitOr(limit, 100))
}

// ListOrderEvents returns an order's events, ascending.
func (q *queries) ListOrderEvents(ctx context.Context, outTradeNo string) ([]*payment.Event, error) {
	return list(ctx, q, scanEvent, `SELECT `+eventCols+` FROM events WHERE out_trade_no = $1 ORDER BY seq`, outTradeNo)
}
