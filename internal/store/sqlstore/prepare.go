package sqlstore

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// prepared holds every statement of the store prepared on the pool, each the first time it
// runs (the tables exist only after Migrate). database/sql then prepares it once on each
// connection and keeps it, so that a statement is parsed and planned once per connection
// instead of at every call: on SQLite (modernc, in Go) parsing cost as much as running
// the statement (docs/BENCHMARKS.md). PostgreSQL's pgx caches its statements itself.
type prepared struct {
	db    *sql.DB
	d     *dialect
	stmts []atomic.Pointer[sql.Stmt] // by stmt
}

func newPrepared(db *sql.DB, d *dialect) *prepared {
	return &prepared{db: db, d: d, stmts: make([]atomic.Pointer[sql.Stmt], len(d.text))}
}

// get returns statement s prepared on the pool, or nil when it cannot be prepared (the
// caller then sends the text, which reports the error).
func (p *prepared) get(ctx context.Context, s stmt) *sql.Stmt {
	if st := p.stmts[s].Load(); st != nil {
		return st
	}
	st, err := p.db.PrepareContext(ctx, p.d.text[s])
	if err != nil {
		return nil
	}
	if !p.stmts[s].CompareAndSwap(nil, st) { // prepared concurrently
		st.Close() //nolint:sqlclosecheck // the loser of a race is closed at once; the winner lives with the store
		return p.stmts[s].Load()
	}
	return st
}

// stmt returns statement s prepared for q (bound to q's transaction when q is in one), or
// nil when the store does not prepare statements.
func (q *queries) stmt(ctx context.Context, s stmt) *sql.Stmt {
	if q.ps == nil {
		return nil
	}
	st := q.ps.get(ctx, s)
	if st == nil {
		return nil
	}
	if tx, ok := q.db.(*sql.Tx); ok {
		return tx.StmtContext(ctx, st) // closed with the transaction
	}
	return st
}
