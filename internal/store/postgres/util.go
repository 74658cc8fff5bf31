package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// exec runs a write and returns how many rows it changed.
func (q *queries) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, sql, args...)
	if err != nil {
		return 0, translate(err)
	}
	return tag.RowsAffected(), nil
}

// insertID runs an INSERT … RETURNING id and returns the new row's id.
func (q *queries) insertID(ctx context.Context, sql string, args ...any) (int64, error) {
	var id int64
	if err := q.db.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
		return 0, translate(err)
	}
	return id, nil
}

// scanner is a pgx.Row (pgx.Rows satisfies it too).
type scanner interface{ Scan(dest ...any) error }

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, q *queries, scan func(scanner) (*T, error), sql string, args ...any) ([]*T, error) {
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

// atomic runs fn in a transaction of its own when q is not in one already, so that a
// statement group (the advisory lock and the insert it guards) commits together.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.inTx {
		return fn(q)
	}
	return translate(pgx.BeginFunc(ctx, q.db, func(tx pgx.Tx) error {
		return fn(&queries{db: tx, inTx: true})
	}))
}

// utc reads a time back in UTC, the zone every store returns.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr reads an optional time back; NULL is nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// limitOr returns limit, or def when limit is not positive.
func limitOr(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return limit
}
