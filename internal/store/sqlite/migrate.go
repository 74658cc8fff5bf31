package sqlite

import (
	"context"
	"embed"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrate applies, in order, each embedded migration not yet recorded in
// schema_migrations, each in its own BEGIN IMMEDIATE transaction together with its
// record, and returns how many it applied. Running it again is a no-op (0, nil); so is
// running it from two processes at once, because each migration re-checks its record
// under the write lock.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	return s.Store.Migrate(ctx, migrationFS, "migrations")
}
