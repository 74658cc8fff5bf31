package postgres

import (
	"context"
	"embed"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrate applies, in order, each embedded migration not yet recorded in
// schema_migrations, each in its own transaction together with its record, and returns how
// many it applied. Running it again is a no-op (0, nil); so is running it from several
// instances at once: each transaction first takes an advisory lock and re-checks the record.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	return s.Store.Migrate(ctx, migrationFS, "migrations")
}
