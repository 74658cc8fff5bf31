package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/f2fpay/f2fpay/internal/store/migration"
)

// Inspect reports which of the embedded migrations the database at dsn (with schema first
// on the search path when set) has applied, changing nothing: unlike Open it creates no
// schema and applies no migration (doctor). Its errors are the connection's, as Open's.
func Inspect(ctx context.Context, dsn, schema string) (migration.Status, error) {
	embedded, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return migration.Status{}, err
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return migration.Status{}, fmt.Errorf("postgres: %v", err) // pgx redacts the password
	}
	if schema != "" {
		cc.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return migration.Status{}, fmt.Errorf("cannot reach the database: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return migration.Status{}, fmt.Errorf("postgres: %v", err)
	}
	var applied []int
	if exists {
		rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
		if err == nil {
			applied, err = pgx.CollectRows(rows, pgx.RowTo[int])
		}
		if err != nil {
			return migration.Status{}, fmt.Errorf("postgres: schema_migrations: %v", err)
		}
	}
	return migration.Compare(embedded, applied), nil
}
