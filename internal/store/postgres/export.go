package postgres

import (
	"context"
	"fmt"

	"github.com/f2fpay/f2fpay/internal/store/migration"
	"github.com/jackc/pgx/v5"
)

// DropSchema drops a schema made by Open with Options.Schema, and everything in it (tests
// and uninstalls).
func DropSchema(ctx context.Context, dsn, schema string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("postgres: drop schema %s: %v", schema, err)
	}
	return nil
}

// MigrationCount tells how many migrations are embedded.
func MigrationCount() int {
	ms, _ := migration.Load(migrationFS, "migrations")
	return len(ms)
}
