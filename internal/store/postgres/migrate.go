package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/f2fpay/f2fpay/internal/store/migration"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the advisory lock key under which migrations run, so that instances
// starting together apply each migration once.
const migrationLock = 0x66326670_0001 // "f2fp" 1

// Migrate applies, in order, each embedded migration not yet recorded in
// schema_migrations, each in its own transaction together with its record, and returns how
// many it applied. Running it again is a no-op (0, nil); so is running it from several
// instances at once: each transaction first takes an advisory lock and re-checks the record.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return 0, err
	}
	for _, m := range ms {
		ok, err := s.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// applyMigration runs m unless it is recorded already; it reports whether it ran.
func (s *Store) applyMigration(ctx context.Context, m migration.Migration) (ran bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		ran = err == nil
		return err
	})
	if err != nil {
		return false, translate(err)
	}
	return ran, nil
}
