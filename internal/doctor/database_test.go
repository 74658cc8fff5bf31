package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
)

// TestBadDSN: a database that cannot be reached or opened fails with the DSN forms in the
// fix, and doctor creates nothing.
func TestBadDSN(t *testing.T) {
	b := setup(t)
	noDir := filepath.Join(b.dir, "no", "such", "dir", "f2fpay.db")
	for dsn, detail := range map[string]string{
		"sqlite:" + noDir: "the directory " + filepath.Dir(noDir) + " does not exist",
		"postgres://postgres@127.0.0.1:1/f2fpay?sslmode=disable&connect_timeout=5": "PostgreSQL 127.0.0.1:1/f2fpay: cannot reach the database",
		"mysql://root@db/f2fpay": "mysql:// is not a database f2fpay speaks",
	} {
		rs := b.run(t, func(c *config.Config, _ *Options) { c.Database = dsn })
		want(t, rs, "database", Fail, detail)
		for _, r := range rs {
			if r.Name == "migrations" {
				t.Errorf("%s: migrations checked: %s", dsn, r.Detail)
			}
		}
		if !Failed(rs) {
			t.Errorf("%s: not Failed", dsn)
		}
	}
	if _, err := os.Stat(filepath.Join(b.dir, "no")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("doctor created directories: %v", err)
	}
}

// TestMissingSQLite: a SQLite file not there yet, in a directory that is, is a warning
// (serve creates it), and doctor does not create it.
func TestMissingSQLite(t *testing.T) {
	b := setup(t)
	path := filepath.Join(b.dir, "new.db")
	rs := b.run(t, func(c *config.Config, _ *Options) { c.Database = "sqlite:" + path })
	want(t, rs, "database", Warn, "does not exist yet", "f2fpay migrate")
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("doctor created %s: %v", path, err)
	}
}

// TestMigrations: a migration not applied is a warning with its name; one this build does
// not carry fails.
func TestMigrations(t *testing.T) {
	b := setup(t)
	db, err := sql.Open("sqlite", filepath.Join(b.dir, "f2fpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var last string
	if err := db.QueryRow(`SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE name = ?`, last); err != nil {
		t.Fatal(err)
	}
	rs := b.run(t, nil)
	want(t, rs, "database", OK, "answers")
	want(t, rs, "migrations", Warn, "1 pending ("+last+")", "f2fpay migrate")
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9000, 'x', 0), (9001, ?, 0)`, last); err != nil {
		t.Fatal(err)
	}
	rs = b.run(t, nil)
	want(t, rs, "migrations", Fail, "versions [9000 9001]", "newer f2fpay")
}

// TestPostgres: a PostgreSQL schema f2fpay never opened has every migration pending and
// stays empty; once migrated it is current.
func TestPostgres(t *testing.T) {
	url := os.Getenv("F2FPAY_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("PostgreSQL skipped: set F2FPAY_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	b := setup(t)
	schema := fmt.Sprintf("f2fpay_doctor_%d", os.Getpid())
	t.Cleanup(func() { _ = postgres.DropSchema(context.Background(), url, schema) })
	use := func(c *config.Config, _ *Options) { c.Database, c.DatabasePool.Schema = url, schema }
	rs := b.run(t, use)
	want(t, rs, "database", OK, "PostgreSQL 127.0.0.1:5432/test answers")
	want(t, rs, "migrations", Warn, fmt.Sprintf("0 of %d applied", postgres.MigrationCount()))
	s, err := postgres.Open(t.Context(), url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	rs = b.run(t, use)
	want(t, rs, "migrations", OK, fmt.Sprintf("all %d applied", postgres.MigrationCount()))
}
