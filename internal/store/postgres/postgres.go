// Package postgres opens the payment.Store (internal/store/sqlstore) on PostgreSQL, for
// running several f2fpay instances on one database. What is PostgreSQL's own lives here:
// the pgx pool and its settings, the migrations, and the dialect ($n placeholders,
// GREATEST, FOR UPDATE SKIP LOCKED, advisory locks, timestamptz, SQLSTATE codes).
//
// Where SQLite relies on its single writer, PostgreSQL uses the database's own locks:
// updates are optimistic (WHERE version = $n; a concurrent writer's row lock makes the
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
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/sqlstore"
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

// Store is a payment.Store over a pgx connection pool, used through database/sql. The
// Queries methods on it run standalone, each committing by itself. It is safe for
// concurrent use.
type Store struct {
	*sqlstore.Store
	pool          *pgxpool.Pool
	appliedAtOpen int
}

var _ payment.Store = (*Store)(nil)

// Open connects to the database at dsn (postgres://…), checks that it answers and applies
// the pending migrations.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	cfg, err := poolConfig(ctx, dsn, o)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %v", err)
	}
	// database/sql over the pool: its own idle pool is off, so pgxpool's settings rule.
	s := &Store{Store: sqlstore.New(stdlib.OpenDBFromPool(pool), dialect()), pool: pool}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("cannot reach the database: %w", err)
	}
	if s.appliedAtOpen, err = s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// poolConfig parses dsn and applies o over it; with o.Schema it creates the schema.
func poolConfig(ctx context.Context, dsn string, o Options) (*pgxpool.Config, error) {
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
	return cfg, nil
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

// Close closes the database and its pool; the Store must not be used afterwards.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.pool.Close()
	return err
}

// Advisory lock keys: "f2fp" and a number.
const (
	migrationLock = 0x66326670_0001 // held by each migration's transaction
	outboxLock    = 0x66326670_0002 // held from drawing an event's seq to the commit
)

// dialect is how PostgreSQL differs from the portable SQL of sqlstore.
func dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:          "postgres",
		Numbered:      true,
		SkipLocked:    " FOR UPDATE SKIP LOCKED",
		Greatest:      "GREATEST",
		OutboxLock:    fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", int64(outboxLock)),
		MigrationLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", int64(migrationLock)),
		MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`,
		Time:      func(t time.Time) any { return t },
		Translate: translate,
	}
}

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

// translate maps PostgreSQL's errors to the payment sentinels, and any other to a plain
// error; nil when err is not PostgreSQL's.
func translate(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
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
