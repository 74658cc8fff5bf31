package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/f2fpay/f2fpay/internal/store/migration"
)

// Inspect reports which of the embedded migrations the database file at path has applied,
// changing nothing: unlike Open it creates no file and applies no migration (doctor). A
// missing file is an error wrapping fs.ErrNotExist; so is a path Open would refuse.
func Inspect(ctx context.Context, path string) (migration.Status, error) {
	embedded, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return migration.Status{}, err
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsAny(path, "?#") {
		return migration.Status{}, fmt.Errorf("sqlite: %q: want a plain file path", path)
	}
	if _, err := os.Stat(path); err != nil {
		return migration.Status{}, fmt.Errorf("sqlite: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "rw") // never create
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return migration.Status{}, fmt.Errorf("sqlite: open %s: %v", path, err)
	}
	defer db.Close()
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return migration.Status{}, fmt.Errorf("sqlite: %s: %v", path, err)
	}
	return migration.Compare(embedded, applied), nil
}

// appliedVersions reads schema_migrations; none when the table does not exist.
func appliedVersions(ctx context.Context, db *sql.DB) ([]int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil || n == 0 {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
