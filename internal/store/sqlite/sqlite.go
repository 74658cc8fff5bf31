// Package sqlite is the payment.Store over an embedded SQLite database
// (modernc.org/sqlite, pure Go, so the binary stays static).
//
// Writers are serialised by SQLite itself: every transaction begins with BEGIN IMMEDIATE
// (DSN _txlock=immediate) and waits for the write lock under busy_timeout, never on a Go
// lock, so readers keep working (WAL) while a writer holds it, and a misuse such as a Tx
// inside a Tx fails after busy_timeout instead of hanging.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// BusyTimeout is how long a statement waits for a lock another connection holds.
const BusyTimeout = 10 * time.Second

// maxConns bounds the pool: one writer at a time plus readers alongside it.
const maxConns = 8

// Store is a payment.Store over one SQLite database file. The Queries methods on it run
// standalone, each committing by itself. It is safe for concurrent use.
type Store struct {
	queries
	db            *sql.DB
	appliedAtOpen int
}

var _ payment.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path, configures WAL,
// synchronous=FULL, busy_timeout and foreign keys on every connection, and applies the
// pending migrations. path must name a file: ":memory:" would give every pooled
// connection a database of its own.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open %q: want a plain file path", path)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %v", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(0)
	s := &Store{queries: queries{db: db}, db: db}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n, err := s.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.appliedAtOpen = n
	return s, nil
}

// AppliedAtOpen tells how many migrations Open applied.
func (s *Store) AppliedAtOpen() int { return s.appliedAtOpen }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return translate(s.db.PingContext(ctx))
}

// Close closes the database; the Store must not be used afterwards.
func (s *Store) Close() error {
	return translate(s.db.Close())
}

// Tx runs fn in one BEGIN IMMEDIATE transaction: no other writer interleaves with it.
// It commits when fn returns nil; otherwise it rolls back and returns fn's error
// unchanged. A panic in fn rolls back and propagates. fn must use only q: a write through
// the Store itself would wait for the lock this transaction holds.
func (s *Store) Tx(ctx context.Context, fn func(q payment.Queries) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	done := false
	defer func() {
		if !done { // fn panicked or called runtime.Goexit
			_ = tx.Rollback()
		}
	}()
	if err := fn(&queries{db: tx}); err != nil {
		done = true
		_ = tx.Rollback()
		return err
	}
	done = true
	return translate(tx.Commit())
}

// dbtx is what *sql.DB and *sql.Tx share, so that one queries type serves both.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements payment.Queries over a connection pool or a transaction.
type queries struct{ db dbtx }

var _ payment.Queries = (*queries)(nil)

// translate maps database errors to the payment sentinels; anything else is returned
// as a plain error so that no driver type leaves the package.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return payment.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return payment.ErrDuplicate
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return payment.ErrNotFound // e.g. a refund of an order that does not exist
		}
		return fmt.Errorf("sqlite: %s", se.Error())
	}
	return fmt.Errorf("sqlite: %w", err)
}

// exec runs a write and returns how many rows it changed.
func (q *queries) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return n, translate(err)
}

// insert runs an INSERT and returns the new row's id.
func (q *queries) insert(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, translate(err)
	}
	id, err := res.LastInsertId()
	return id, translate(err)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, q *queries, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := q.db.QueryContext(ctx, query, args...)
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

// micros stores a time as unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros reads unix microseconds back as a UTC time.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros stores an optional time; nil is NULL.
func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// timePtr reads an optional time back; NULL is nil.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// limitOr returns limit, or def when limit is not positive.
func limitOr(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return limit
}
