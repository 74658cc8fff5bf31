package postgres_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/migration"
	"github.com/f2fpay/f2fpay/internal/store/storetest"
)

// legacySchema fills schema as the store did before its migrations were numbered like
// SQLite's: one all-in-one 0001_init.sql (kept in testdata/legacy), recorded as version 1
// in the schema_migrations table of that time.
func legacySchema(t *testing.T, url, schema string) { legacy(t, url, schema, "") }

// legacyWithRows is legacySchema with an order and its event, written in that encoding.
func legacyWithRows(t *testing.T, url, schema string) {
	legacy(t, url, schema, `
		INSERT INTO orders (client_id, out_trade_no, total_amount, subject, status, cashier_token,
			metadata, timeout_minutes, created_at, updated_at, expires_at, paid_at, next_check_at)
		VALUES ('app-a', 'legacy-1', 990, 'old', 'paid', 'tok-legacy-1', '{"k":"v"}', 15,
			'2024-05-01 12:00:00.123456Z', '2024-05-01 12:00:00.123456Z', '2024-05-01 12:15:00.123456Z',
			'2024-05-01 12:01:00.123456Z', NULL);
		INSERT INTO events (id, key, type, client_id, out_trade_no, created_at, data)
		VALUES ('evt_legacy', 'k-legacy', 'payment.succeeded', 'app-a', 'legacy-1',
			'2024-05-01 12:01:00.123456Z', '{}');
		INSERT INTO notifications (received_at, out_trade_no, raw, verified, outcome)
		SELECT '2024-05-01 12:01:00Z', 'legacy-1', repeat('x', 5000), v, 'refused: bad signature'
		FROM (VALUES (false), (true)) AS t(v);
		INSERT INTO clients (app_id, name, secret_sealed, created_at, updated_at)
		VALUES ('app-a', 'old', 'sealed', '2024-05-01 12:00:00Z', '2024-05-01 12:00:00Z');`)
}

// legacy makes the legacy schema and then runs rows in it.
func legacy(t *testing.T, url, schema, rows string) {
	t.Helper()
	ctx := context.Background()
	init, err := os.ReadFile("testdata/legacy/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	id := pgx.Identifier{schema}.Sanitize()
	// No arguments: pgx sends it in the simple protocol, several statements at once.
	_, err = conn.Exec(ctx, `CREATE SCHEMA `+id+`; SET search_path TO `+id+`;`+string(init)+`;
		CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql');`+rows)
	if err != nil {
		t.Fatalf("legacy schema: %v", err)
	}
}

// TestLegacyDatabase: a schema made by the all-in-one 0001 opens, takes 0002 and 0003 as
// no-ops (and the later ones), keeps its rows, and ends with the same catalog as a schema made from scratch.
func TestLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	s := openWith(t, legacyWithRows)
	ms, err := migration.Load(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	if n := s.AppliedAtOpen(); n != len(ms)-1 {
		t.Errorf("Open of a legacy schema applied %d migrations, want %d (all but 0001)", n, len(ms)-1)
	}
	o, err := s.GetOrder(ctx, "legacy-1")
	if err != nil {
		t.Fatalf("GetOrder of a legacy row: %v", err)
	}
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	paid := at.Add(time.Minute)
	if o.TotalAmount != 990 || o.Status != payment.StatusPaid || !o.CreatedAt.Equal(at) || o.CreatedAt.Location() != time.UTC ||
		o.PaidAt == nil || !o.PaidAt.Equal(paid) || o.NextCheckAt != nil || o.Metadata["k"] != "v" || o.Version != 1 {
		t.Errorf("legacy order read back as %+v", o)
	}
	if d, err := s.GetDelivery(ctx, "evt_legacy"); err != nil || d.Status != payment.DeliveryPending {
		t.Errorf("delivery of the legacy event: %+v, %v", d, err)
	}
	o.Status, o.UpdatedAt = payment.StatusRefunded, paid
	if err := s.UpdateOrder(ctx, o); err != nil {
		t.Errorf("UpdateOrder of a legacy row: %v", err)
	}
	checkLegacyAudit(t, s, strings.Repeat("x", 5000))
	if _, ok, err := s.ClaimRelay(ctx, "nats", "a", at, paid); !ok || err != nil {
		t.Errorf("ClaimRelay on a legacy schema: %v, %v", ok, err)
	}
	legacy, fresh := catalog(t, s.Pool()), catalog(t, open(t).Pool())
	if !slices.Contains(fresh, "trigger events.events_delivery AFTER INSERT EXECUTE FUNCTION events_delivery()") {
		t.Fatalf("catalog of a fresh schema lacks the delivery trigger: %q", fresh)
	}
	if len(legacy) != len(fresh) {
		t.Fatalf("catalog: %d entries after the upgrade, %d from scratch", len(legacy), len(fresh))
	}
	for i := range legacy {
		if legacy[i] != fresh[i] {
			t.Errorf("catalog differs:\n upgraded %s\n fresh    %s", legacy[i], fresh[i])
		}
	}
}

// checkLegacyAudit: migration 0006 cut a legacy unverified notification to 2,048
// characters and recorded the lengths; the verified one is whole; a legacy client has no
// webhook secret yet.
func checkLegacyAudit(t *testing.T, s payment.Store, long string) {
	t.Helper()
	ctx := context.Background()
	for _, verified := range []bool{false, true} {
		ns, err := s.ListNotificationsByTrust(ctx, "legacy-1", verified, 10)
		want := long
		if !verified {
			want = long[:2048]
		}
		if err != nil || len(ns) != 1 || ns[0].Raw != want || ns[0].RawLength != len(long) || ns[0].RawSHA256 != "" {
			t.Errorf("legacy notification (verified %v) after 0006: %v %+v", verified, err, ns)
		}
	}
	c, err := s.GetMerchant(ctx, "app-a")
	if err != nil || c.WebhookSecretSealed != "" || c.PrevWebhookSecretUntil != nil {
		t.Errorf("legacy client after 0006: %v %+v", err, c)
	}
}

// TestConformanceLegacy runs the suite on schemas made by the all-in-one 0001 and
// upgraded by Open.
func TestConformanceLegacy(t *testing.T) {
	dsn(t)
	storetest.Run(t, func(t *testing.T) payment.Store { return openWith(t, legacySchema) })
}

// catalog lists the columns, indexes and triggers of the pool's schema (its search_path),
// without the schema's name, in a stable order.
func catalog(t *testing.T, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
			|| ' ' || is_identity || ' ' || coalesce(column_default, '')
		FROM information_schema.columns WHERE table_schema = current_schema()
		UNION ALL
		SELECT 'index ' || replace(indexdef, current_schema() || '.', '')
		FROM pg_indexes WHERE schemaname = current_schema()
		UNION ALL
		SELECT 'trigger ' || event_object_table || '.' || trigger_name || ' ' || action_timing || ' '
			|| event_manipulation || ' ' || action_statement
		FROM information_schema.triggers WHERE trigger_schema = current_schema()
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}
