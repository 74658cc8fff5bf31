package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/f2fpay/f2fpay/internal/store/postgres"
)

// TestInspect: a schema that does not exist has every migration pending, and Inspect
// leaves it so; after Open none is pending; a row a newer build recorded is unknown; an
// unreachable server is an error.
func TestInspect(t *testing.T) {
	url := dsn(t)
	ctx := context.Background()
	schema := fmt.Sprintf("f2fpay_test_%d_%d", os.Getpid(), schemas.Add(1))
	t.Cleanup(func() { _ = postgres.DropSchema(ctx, url, schema) })
	st, err := postgres.Inspect(ctx, url, schema)
	if err != nil || st.Applied != 0 || len(st.Pending) != postgres.MigrationCount() || st.Current() {
		t.Fatalf("missing schema: %+v, %v", st, err)
	}
	if st, _ := postgres.Inspect(ctx, url, schema); st.Applied != 0 {
		t.Fatalf("Inspect changed the schema: %+v", st)
	}
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if st, err := postgres.Inspect(ctx, url, schema); err != nil || !st.Current() || st.Applied != st.Embedded {
		t.Fatalf("after Open: %+v, %v", st, err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+` (version, name, applied_at) VALUES (9999, '9999_future.sql', now())`)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := postgres.Inspect(ctx, url, schema); err != nil || len(st.Unknown) != 1 || st.Unknown[0] != 9999 {
		t.Fatalf("with a newer migration: %+v, %v", st, err)
	}
	if _, err := postgres.Inspect(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5", ""); err == nil ||
		!strings.Contains(err.Error(), "cannot reach the database") {
		t.Fatalf("unreachable server: %v", err)
	}
}
