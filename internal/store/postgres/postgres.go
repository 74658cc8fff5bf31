// Package postgres is the payment.Store over PostgreSQL (pgx v5), for running several f2fpay
// instances on one database.
//
// Where the SQLite store relies on its single writer, this one uses the database's own
// locks: updates are optimistic (WHERE version = $n; a concurrent writer's row lock makes the
// loser re-check and find the version moved, hence ErrStale), claims of due work take rows
// with FOR UPDATE SKIP LOCKED inside one UPDATE … RETURNING, and the outbox sequence is drawn
// under a transaction-level advisory lock so that events become visible in seq order.
// Serialization failures and deadlocks come back as ErrStale, which the Service retries.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Options tune the connection pool; zero values keep pgxpool's defaults (or the DSN's
// pool_max_conns, pool_min_conns, … parameters).
type Options struct {
	MaxConns        int32         // connections at most; pgxpool default max(4, CPUs)
	MinConns        int32         // connections kept open
	MaxConnLifetime time.Duration // a connection is replaced after this long
	MaxConnIdleTime time.Duration // an idle connection is closed after this long
	// Schema, when set, is created if missing and put first on every connection's
	// search_path, so that one database can hold several f2fpay installations (and tests).
	Schema string
}

// Store is a payment.Store over a pgx connection pool. The Queries methods on it run
// standalone, each committing by itself. It is safe for concurrent use.
type Store struct {
	queries
	pool          *pgxpool.Pool
	appliedAtOpen int
}

var _ payment.Store = (*Store)(nil)

// Open connects to the database at dsn (postgres://…), checks that it answers and applies
// the pending migrations.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %v", err) // pgx redacts the password
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.MinConns > 0 {
		cfg.MinConns = o.MinConns
	}
	if o.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = o.MaxConnLifetime
	}
	if o.MaxConnIdleTime > 0 {
		cfg.MaxConnIdleTime = o.MaxConnIdleTime
	}
	if o.Schema != "" {
		if err := createSchema(ctx, cfg.ConnConfig, o.Schema); err != nil {
			return nil, err
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.Schema}.Sanitize()
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %v", err)
	}
	s := &Store{queries: queries{db: pool}, pool: pool}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach the database: %w", err)
	}
	n, err := s.Migrate(ctx)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.appliedAtOpen = n
	return s, nil
}

// createSchema creates the schema over a single connection before the pool exists.
func createSchema(ctx context.Context, cc *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cc.Copy())
	if err != nil {
		return fmt.Errorf("postgres: %v", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
	if err != nil && !isCode(err, pgUniqueViolation) { // two instances creating it at once
		return fmt.Errorf("postgres: create schema %s: %v", schema, err)
	}
	return nil
}

// AppliedAtOpen tells how many migrations Open applied.
func (s *Store) AppliedAtOpen() int { return s.appliedAtOpen }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return translate(s.pool.Ping(ctx)) }

// Close closes the pool; the Store must not be used afterwards.
func (s *Store) Close() error { s.pool.Close(); return nil }

// Tx runs fn in one READ COMMITTED transaction. Concurrent writers of the same rows are
// kept apart by row locks and the optimistic version checks (ErrStale). It commits when fn
// returns nil; otherwise it rolls back and returns fn's error unchanged. A panic in fn rolls
// back and propagates.
func (s *Store) Tx(ctx context.Context, fn func(q payment.Queries) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	done := false
	defer func() {
		if !done { // fn panicked or called runtime.Goexit
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(&queries{db: tx, inTx: true}); err != nil {
		done = true
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	done = true
	return translate(tx.Commit(ctx))
}

// dbtx is what *pgxpool.Pool and pgx.Tx share, so that one queries type serves both.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// queries implements payment.Queries over the pool or a transaction.
type queries struct {
	db   dbtx
	inTx bool
}

var _ payment.Queries = (*queries)(nil)

// PostgreSQL error codes the store translates.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgSerializationFail   = "40001"
	pgDeadlockDetected    = "40P01"
)

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// translate maps database errors to the payment sentinels; anything else is returned as a
// plain error so that no driver type leaves the package.
func translate(err error) error {
	var coded *payment.Error
	if err == nil || errors.As(err, &coded) { // nil, or translated already
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return payment.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case pgUniqueViolation:
			return payment.ErrDuplicate
		case pgForeignKeyViolation:
			return payment.ErrNotFound // e.g. a refund of an order that does not exist
		case pgSerializationFail, pgDeadlockDetected:
			return payment.ErrStale // the transaction lost a race; the caller retries it
		}
		return fmt.Errorf("postgres: %s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("postgres: %v", err)
}
