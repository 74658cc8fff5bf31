package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// TestInspect: a missing file is reported and not created; after Open every migration is
// applied; a deleted record is pending again and a newer build's is unknown.
func TestInspect(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f2fpay.db")
	if _, err := sqlite.Inspect(ctx, path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Inspect created the file: %v", err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	st, err := sqlite.Inspect(ctx, path)
	if err != nil || !st.Current() || st.Applied != st.Embedded || st.Embedded != migrationsAfter(t, 0) {
		t.Fatalf("after Open: %+v, %v", st, err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations);
		INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`)
	if err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Inspect(ctx, path)
	if err != nil || len(st.Pending) != 1 || len(st.Unknown) != 1 || st.Applied != st.Embedded-1 {
		t.Fatalf("one deleted, one future: %+v, %v", st, err)
	}
}
