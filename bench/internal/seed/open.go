package seed

import (
	"context"
	"database/sql"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// Open migrates the database (sqlite:PATH or postgres://…, in schema when set) by opening
// its store once, then opens it raw for the bulk statements; it tells whether it is
// PostgreSQL.
func Open(ctx context.Context, database, schema string) (*sql.DB, bool, error) {
	if path, ok := strings.CutPrefix(database, "sqlite:"); ok {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, false, err
		}
		st.Close()
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
			"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate")
		return db, false, err
	}
	st, err := postgres.Open(ctx, database, postgres.Options{Schema: schema})
	if err != nil {
		return nil, true, err
	}
	st.Close()
	cfg, err := pgx.ParseConfig(database)
	if err != nil {
		return nil, true, err
	}
	if schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	return stdlib.OpenDB(*cfg), true, nil
}
