package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// translate maps database errors to the payment sentinels; anything else comes back as an
// error prefixed with the database's name, so that no driver type leaves the store.
func (d *dialect) translate(err error) error {
	var coded *payment.Error
	if err == nil || errors.As(err, &coded) { // nil, or translated already
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return payment.ErrNotFound
	}
	if t := d.Translate(err); t != nil {
		return t
	}
	return fmt.Errorf("%s: %w", d.Name, err) // e.g. a cancelled context, still matchable
}

// grouped tells whether statement s, run standalone, must go through group commit: it
// writes, and the store groups its writers.
func (q *queries) grouped(s stmt) bool { return q.g != nil && q.pool != nil && writes[s] }

// ctx is the context statements run under: the caller's, without its cancellation inside
// a group's batch.
func (q *queries) ctx(ctx context.Context) context.Context {
	if q.detach {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// exec runs statement s and returns how many rows it changed.
func (q *queries) exec(ctx context.Context, s stmt, args ...any) (int64, error) {
	if q.grouped(s) {
		var n int64
		err := q.g.run(ctx, func(tq *queries) error {
			var err error
			n, err = tq.exec(ctx, s, args...)
			return err
		})
		return n, err
	}
	var res sql.Result
	var err error
	if st := q.stmt(q.ctx(ctx), s); st != nil { //nolint:sqlclosecheck // the store's prepared statements live as long as the store (prepare.go)
		res, err = st.ExecContext(q.ctx(ctx), q.d.encode(args)...)
	} else {
		res, err = q.db.ExecContext(q.ctx(ctx), q.d.text[s], q.d.encode(args)...)
	}
	if err != nil {
		return 0, q.d.translate(err)
	}
	n, err := res.RowsAffected()
	return n, q.d.translate(err)
}

// scanOne runs statement s, which returns one row, into dest; ErrNotFound when it
// returns none.
func (q *queries) scanOne(ctx context.Context, s stmt, dest []any, args ...any) error {
	if q.grouped(s) {
		return q.g.run(ctx, func(tq *queries) error { return tq.scanOne(ctx, s, dest, args...) })
	}
	err := q.queryRow(ctx, s, args).Scan(dest...)
	return q.d.translate(err)
}

// id runs statement s, an INSERT … RETURNING of the new row's id or seq.
func (q *queries) id(ctx context.Context, s stmt, args ...any) (int64, error) {
	var id int64
	err := q.scanOne(ctx, s, []any{&id}, args...)
	return id, err
}

// exists tells whether statement s (SELECT 1 … ) finds a row: nil when it does,
// ErrNotFound when it does not.
func (q *queries) exists(ctx context.Context, s stmt, args ...any) error {
	var one int
	return q.scanOne(ctx, s, []any{&one}, args...)
}

// get runs statement s and scans its one row with scan; ErrNotFound when there is none.
func get[T any](ctx context.Context, q *queries, scan func(scanner) (*T, error), s stmt, args ...any) (*T, error) {
	if q.grouped(s) {
		var v *T
		err := q.g.run(ctx, func(tq *queries) error {
			var err error
			v, err = get(ctx, tq, scan, s, args...)
			return err
		})
		return v, err
	}
	v, err := scan(q.queryRow(ctx, s, args))
	if err != nil {
		return nil, q.d.translate(err)
	}
	return v, nil
}

// list runs statement s and scans every row with scan.
func list[T any](ctx context.Context, q *queries, scan func(scanner) (*T, error), s stmt, args ...any) ([]*T, error) {
	if q.grouped(s) { // an UPDATE … RETURNING (a claim)
		var vs []*T
		err := q.g.run(ctx, func(tq *queries) error {
			var err error
			vs, err = list(ctx, tq, scan, s, args...)
			return err
		})
		return vs, err
	}
	if st := q.stmt(q.ctx(ctx), s); st != nil { //nolint:sqlclosecheck // the store's prepared statements live as long as the store (prepare.go)
		rows, err := st.QueryContext(q.ctx(ctx), q.d.encode(args)...)
		return scanRows(q, rows, err, scan)
	}
	return listSQL(ctx, q, scan, q.d.text[s], args...)
}

// queryRow runs statement s, prepared when the store prepares statements.
func (q *queries) queryRow(ctx context.Context, s stmt, args []any) *sql.Row {
	if st := q.stmt(q.ctx(ctx), s); st != nil { //nolint:sqlclosecheck // the store's prepared statements live as long as the store (prepare.go)
		return st.QueryRowContext(q.ctx(ctx), q.d.encode(args)...)
	}
	return q.db.QueryRowContext(q.ctx(ctx), q.d.text[s], q.d.encode(args)...)
}

// listSQL is list for a statement already compiled for the dialect.
func listSQL[T any](ctx context.Context, q *queries, scan func(scanner) (*T, error), text string, args ...any) ([]*T, error) {
	rows, err := q.db.QueryContext(q.ctx(ctx), text, q.d.encode(args)...)
	return scanRows(q, rows, err, scan)
}

// scanRows scans every row of a query's answer with scan.
func scanRows[T any](q *queries, rows *sql.Rows, err error, scan func(scanner) (*T, error)) ([]*T, error) {
	if err != nil {
		return nil, q.d.translate(err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, q.d.translate(err)
		}
		out = append(out, v)
	}
	return out, q.d.translate(rows.Err())
}
