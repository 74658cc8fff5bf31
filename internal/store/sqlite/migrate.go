package sqlite

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/f2fpay/f2fpay/internal/store/migration"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrate applies, in order, each embedded migration not yet recorded in
// schema_migrations, each in its own transaction together with its record, and returns
// how many it applied. Running it again is a no-op (0, nil); so is running it from two
// processes at once, because each migration re-checks its record under the write lock.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return 0, err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`
	if _, err := s.db.ExecContext(ctx, create); err != nil {
		return 0, fmt.Errorf("sqlite: migrate: %w", translate(err))
	}
	for _, m := range ms {
		ok, err := s.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// applyMigration runs m unless it is recorded already; it reports whether it ran.
func (s *Store) applyMigration(ctx context.Context, m migration.Migration) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the check below sees the truth
	if err != nil {
		return false, translate(err)
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n)
	if err != nil {
		return false, translate(err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, translate(err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, micros(time.Now()))
	if err != nil {
		return false, translate(err)
	}
	return true, translate(tx.Commit())
}
