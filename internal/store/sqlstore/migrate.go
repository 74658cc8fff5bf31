package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/f2fpay/f2fpay/internal/store/migration"
)

var (
	stMigrationApplied = define("migrationApplied", `SELECT count(*) FROM schema_migrations WHERE version = ?`)
	stRecordMigration  = define("recordMigration",
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`)
)

// Migrate applies, in order, each migration in dir of fsys (numbered files, see
// internal/store/migration) not yet recorded in schema_migrations, each in its own
// transaction together with its record, and returns how many it applied. Running it again
// is a no-op (0, nil); so is running it from several processes at once, because each
// transaction re-checks the record under the write lock (SQLite's BEGIN IMMEDIATE, or the
// dialect's MigrationLock).
func (s *Store) Migrate(ctx context.Context, fsys fs.FS, dir string) (applied int, err error) {
	ms, err := migration.Load(fsys, dir)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.d.Name, err)
	}
	for _, m := range ms {
		var ran bool
		err := runTx(ctx, s.d, s.db, nil, func(q *queries) (err error) {
			ran, err = q.applyMigration(ctx, m)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("%s: migration %s: %w", s.d.Name, m.Name, err)
		}
		if ran {
			applied++
		}
	}
	return applied, nil
}

// applyMigration runs m inside the caller's transaction unless it is recorded already; it
// reports whether it ran.
func (q *queries) applyMigration(ctx context.Context, m migration.Migration) (bool, error) {
	for _, ddl := range []string{q.d.MigrationLock, q.d.MigrationsTable} {
		if ddl == "" {
			continue
		}
		if err := q.execRaw(ctx, ddl); err != nil {
			return false, err
		}
	}
	var n int
	if err := q.scanOne(ctx, stMigrationApplied, []any{&n}, m.Version); err != nil || n > 0 {
		return false, err
	}
	if err := q.execRaw(ctx, m.SQL); err != nil {
		return false, err
	}
	_, err := q.exec(ctx, stRecordMigration, m.Version, m.Name, time.Now())
	return err == nil, err
}

// execRaw runs SQL written for the dialect already (a migration file, a lock), with no
// arguments: PostgreSQL then takes it in the simple protocol, several statements at once.
func (q *queries) execRaw(ctx context.Context, text string) error {
	_, err := q.db.ExecContext(q.ctx(ctx), text)
	return q.d.translate(err)
}
