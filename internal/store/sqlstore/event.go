package sqlstore

import (
	"context"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const eventCols = `seq, id, key, type, client_id, out_trade_no, created_at, data, trace_parent`

var (
	stInsertEvent = define("InsertEvent", `INSERT INTO events (id, key, type, client_id, out_trade_no,
		created_at, data, trace_parent)
		VALUES (?,?,?,?,?,?,?,?)
		RETURNING seq`)
	stGetEvent         = define("GetEvent", `SELECT `+eventCols+` FROM events WHERE id = ?`)
	stListEvents       = define("ListEvents", `SELECT `+eventCols+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`)
	stListClientEvents = define("ListEvents(client)", `SELECT `+eventCols+` FROM events
		WHERE client_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
	stListOrderEvents = define("ListOrderEvents", `SELECT `+eventCols+` FROM events
		WHERE out_trade_no = ? ORDER BY seq`)
)

func scanEvent(s scanner) (*payment.Event, error) {
	var e payment.Event
	var data string
	if err := s.Scan(&e.Seq, &e.ID, &e.Key, &e.Type, &e.ClientID, &e.OutTradeNo, tm(&e.CreatedAt), &data, &e.TraceParent); err != nil {
		return nil, err
	}
	if data != "" {
		e.Data = []byte(data)
	}
	return &e, nil
}

// InsertEvent adds e to the outbox (its delivery is created by a trigger in the same
// statement) and sets e.Seq; ErrDuplicate when e.ID or e.Key exists.
//
// Events must commit in seq order, so that a merchant paging with ?after= or a relay
// reading past a cursor never sees seq N+1 before seq N and so never skips N. SQLite has
// one writer at a time; on PostgreSQL the insert first takes the dialect's OutboxLock, a
// transaction-level advisory lock held until the commit. The event is the last write of
// every transaction of the Service, so the lock serialises only the commits of
// event-writing transactions.
func (q *queries) InsertEvent(ctx context.Context, e *payment.Event) error {
	insert := func(q *queries) error {
		seq, err := q.id(ctx, stInsertEvent, e.ID, e.Key, e.Type, e.ClientID, e.OutTradeNo, e.CreatedAt,
			string(e.Data), e.TraceParent)
		if err != nil {
			return err
		}
		e.Seq = seq
		return nil
	}
	if q.d.OutboxLock == "" {
		return insert(q)
	}
	return q.atomic(ctx, func(q *queries) error {
		if err := q.execRaw(ctx, q.d.OutboxLock); err != nil {
			return err
		}
		return insert(q)
	})
}

// GetEvent returns the event with id; ErrNotFound when there is none.
func (q *queries) GetEvent(ctx context.Context, id string) (*payment.Event, error) {
	return get(ctx, q, scanEvent, stGetEvent, id)
}

// ListEvents returns the client's events with Seq > after, ascending, up to limit
// (default 100). An empty clientID lists every client's.
func (q *queries) ListEvents(ctx context.Context, clientID string, after int64, limit int) ([]*payment.Event, error) {
	if clientID == "" {
		return list(ctx, q, scanEvent, stListEvents, after, limitOr(limit, 100))
	}
	return list(ctx, q, scanEvent, stListClientEvents, clientID, after, limitOr(limit, 100))
}

// ListOrderEvents returns an order's events, ascending.
func (q *queries) ListOrderEvents(ctx context.Context, outTradeNo string) ([]*payment.Event, error) {
	return list(ctx, q, scanEvent, stListOrderEvents, outTradeNo)
}
