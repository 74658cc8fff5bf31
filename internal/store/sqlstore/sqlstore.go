// Package sqlstore is the payment.Store written once over database/sql, for both
// databases: internal/store/sqlite opens it on SQLite (modernc.org/sqlite) and
// internal/store/postgres on PostgreSQL (pgx through stdlib.OpenDBFromPool, so the pool
// settings hold). Those two packages keep only opening, migrations and their Dialect.
//
// Every query is written once, in a portable form: ? placeholders, and two markers for
// the only clauses the databases spell differently, {skip_locked} and {greatest}. The
// Dialect covers what really differs, and nothing else:
//
//   - placeholders: ? on SQLite, $1, $2, … on PostgreSQL;
//   - {skip_locked}: FOR UPDATE SKIP LOCKED in the subquery of a claim on PostgreSQL, so
//     that instances claiming at once never take the same row; nothing on SQLite, whose
//     single writer already keeps claims apart;
//   - {greatest}: GREATEST on PostgreSQL, the two-argument max() on SQLite;
//   - locks: PostgreSQL draws an event's seq under an advisory lock held to the commit,
//     so that events become visible in seq order, and runs each migration under another;
//     SQLite needs neither, since every transaction begins IMMEDIATE (one writer at a time);
//   - time columns: INTEGER unix microseconds on SQLite, timestamptz on PostgreSQL
//     (Dialect.Time encodes arguments; the scanners in scan.go read either back, in UTC);
//   - driver errors: which ones are a duplicate key, a missing parent row or a lost race.
//
// Each statement is named where it is defined (stmt.go) and compiled for the dialect once,
// in New, so that it can be prepared once per pool; ListOrders alone builds its WHERE
// clause from the filter.
package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/tracing"
)

// Dialect says how one database differs from the portable SQL of this package.
type Dialect struct {
	// Name prefixes the errors of the database ("sqlite", "postgres").
	Name string
	// Numbered makes placeholders $1, $2, … instead of ?.
	Numbered bool
	// SkipLocked replaces {skip_locked}, at the end of a claim's subquery.
	SkipLocked string
	// Greatest replaces {greatest}: the function returning the larger of two values.
	Greatest string
	// OutboxLock, when set, runs before an event is inserted, in the same transaction.
	OutboxLock string
	// MigrationLock, when set, runs first in each migration's transaction.
	MigrationLock string
	// MigrationsTable creates schema_migrations (version, name, applied_at) if missing.
	MigrationsTable string
	// Time encodes a time argument for a time column.
	Time func(time.Time) any
	// GroupCommit makes the write transactions of concurrent callers share one database
	// transaction and one commit (group.go), for a database with a single writer whose
	// commits cost an fsync each (SQLite). BusyTimeout is then how long a caller waits for
	// its turn.
	GroupCommit bool
	BusyTimeout time.Duration
	// Prepare runs every statement prepared (prepare.go), for a driver that parses each
	// statement it is sent anew (SQLite).
	Prepare bool
	// Translate maps an error of the driver's own type to payment.ErrDuplicate,
	// ErrNotFound or ErrStale, or to a plain error with no driver type; nil when err is
	// not the driver's.
	Translate func(error) error
}

// Store is a payment.Store over a *sql.DB. The Queries methods on it run standalone, each
// committing by itself (a statement group that must be atomic opens its own transaction).
// It is safe for concurrent use.
type Store struct {
	queries
	db *sql.DB
}

var _ payment.Store = (*Store)(nil)

// New returns the store over db, whose schema is migrated (Migrate), speaking d.
func New(db *sql.DB, d Dialect) *Store {
	c := compile(d)
	q := queries{d: c, db: db, pool: db}
	if d.Prepare {
		q.ps = newPrepared(db, c)
	}
	if d.GroupCommit {
		q.g = newGroup(db, c, d.BusyTimeout)
		q.g.ps = q.ps
	}
	return &Store{queries: q, db: db}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.d.translate(s.db.PingContext(ctx)) }

// Close closes the database; the Store must not be used afterwards.
func (s *Store) Close() error { return s.d.translate(s.db.Close()) }

// Tx runs fn in one transaction that no other writer interleaves with: SQLite begins it
// IMMEDIATE (its DSN says _txlock=immediate), PostgreSQL keeps concurrent writers of the
// same rows apart with row locks and the optimistic version checks (ErrStale). It commits
// when fn returns nil; otherwise it rolls back and returns fn's error unchanged. A panic in
// fn rolls back and propagates. fn must use only q: on SQLite a write through the Store
// itself would wait for the lock this transaction holds.
//
// With GroupCommit, fn runs in a batch of concurrent callers' transactions (group.go); it
// still sees only what a transaction of its own would, and Tx returns once it is durable.
func (s *Store) Tx(ctx context.Context, fn func(q payment.Queries) error) error {
	return s.transact(ctx, func(q *queries) error { return fn(q) })
}

// transact is the one way into a write transaction of the store, for Tx and for the
// statement groups that must commit together (atomic) or alone (a standalone write):
// grouped with GroupCommit, on a transaction of its own otherwise. Either way it is one
// span when ctx is traced (docs/decisions.md, "Tracing").
func (q *queries) transact(ctx context.Context, fn func(q *queries) error) (err error) {
	ctx, span := tracing.Start(ctx, "db.transaction", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", q.d.Name)))
	defer func() { endTx(span, err) }()
	if q.g != nil {
		return q.g.run(ctx, fn)
	}
	return runTx(ctx, q.d, q.pool, q.ps, fn)
}

// runTx runs fn in a transaction on db, as Tx documents.
func runTx(ctx context.Context, d *dialect, db *sql.DB, ps *prepared, fn func(q *queries) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return d.translate(err)
	}
	done := false
	defer func() {
		if !done { // fn panicked or called runtime.Goexit
			_ = tx.Rollback()
		}
	}()
	if err := fn(&queries{d: d, db: tx, ps: ps}); err != nil {
		done = true
		_ = tx.Rollback()
		return err
	}
	done = true
	return d.translate(tx.Commit())
}

// endTx ends a transaction's span: an error status unless it committed.
func endTx(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// dbtx is what *sql.DB and *sql.Tx share, so that one queries type serves both.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements payment.Queries over the pool or a transaction.
type queries struct {
	d    *dialect
	db   dbtx      // the pool or the transaction
	pool *sql.DB   // the pool when standalone; nil inside a transaction
	g    *group    // group commit (Dialect.GroupCommit), when standalone
	ps   *prepared // prepared statements (Dialect.Prepare), or nil
	// detach runs statements without the caller's cancellation (inside a group's batch,
	// where an interrupt would roll back the other callers' writes too).
	detach bool
}

// atomic runs fn in a transaction of its own when q is not in one already, so that a
// statement group (a lock and the write it guards) commits together.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.pool == nil {
		return fn(q)
	}
	return q.transact(ctx, fn)
}
