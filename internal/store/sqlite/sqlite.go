// Package sqlite opens the payment.Store (internal/store/sqlstore) on an embedded SQLite
// database (modernc.org/sqlite, pure Go, so the binary stays static). What is SQLite's own
// lives here: the file and its PRAGMAs, the migrations, and the dialect (? placeholders,
// max(), times as INTEGER unix microseconds, SQLite's constraint error codes).
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

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/sqlstore"
)

// BusyTimeout is how long a statement waits for a lock another connection holds.
const BusyTimeout = 10 * time.Second

// maxConns bounds the pool: one writer at a time plus readers alongside it.
const maxConns = 8

// Store is a payment.Store over one SQLite database file. The Queries methods on it run
// standalone, each committing by itself. It is safe for concurrent use.
type Store struct {
	*sqlstore.Store
	db            *sql.DB
	appliedAtOpen int
}

var _ payment.Store = (*Store)(nil)

// Open opens the database file at path, creating it readable by its owner only (file.go),
// configures WAL, synchronous=FULL, busy_timeout and foreign keys on every connection, and
// applies the pending migrations. path must name a file: ":memory:" would give every
// pooled connection a database of its own.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open %q: want a plain file path", path)
	}
	if err := createFile(path); err != nil {
		return nil, err
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
	s := &Store{Store: sqlstore.New(db, dialect()), db: db}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := incrementalVacuum(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if s.appliedAtOpen, err = s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// incrementalVacuum makes the file give back the pages the retention purge frees
// (Compact), a few at a time, instead of keeping them for ever (docs/decisions.md,
// "Retention"). SQLite takes the mode only at a VACUUM, and not inside a transaction: a
// new file is empty, so its VACUUM costs nothing; a file from before is rewritten once,
// here, on the first start of this version.
func incrementalVacuum(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx) // the pragma and the VACUUM on the same connection
	if err != nil {
		return err
	}
	defer conn.Close()
	var mode int
	if err := conn.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return err
	}
	const incremental = 2
	if mode == incremental {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "VACUUM")
	return err
}

// compactPages is how many free pages one Compact gives back: a few MB, so that it holds
// the write lock only briefly.
const compactPages = 1000

// Compact gives up to compactPages free pages back to the file system (incremental
// vacuum); the retention worker calls it after each purge.
func (s *Store) Compact(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", compactPages))
	if err != nil {
		return fmt.Errorf("sqlite: incremental vacuum: %w", err)
	}
	return nil
}

// AppliedAtOpen tells how many migrations Open applied.
func (s *Store) AppliedAtOpen() int { return s.appliedAtOpen }

// dialect is how SQLite differs from the portable SQL of sqlstore.
func dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:     "sqlite",
		Greatest: "max", // the two-argument scalar max()
		MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`,
		Time:      func(t time.Time) any { return t.UnixMicro() },
		Translate: translate,
		// One writer, one fsync per commit under synchronous=FULL: concurrent writers share
		// commits (docs/decisions.md, "Group commit on SQLite").
		GroupCommit: true,
		BusyTimeout: BusyTimeout,
		Prepare:     true, // modernc parses every statement it is sent
	}
}

// translate maps SQLite's constraint errors to the payment sentinels, and any other
// SQLite error to a plain one; nil when err is not SQLite's.
func translate(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return payment.ErrDuplicate
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return payment.ErrNotFound // e.g. a refund of an order that does not exist
	}
	return fmt.Errorf("sqlite: %s", se.Error())
}
