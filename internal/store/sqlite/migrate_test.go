package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/migration"
)

// migrationsAfter counts the migration files numbered after v.
func migrationsAfter(t *testing.T, v int) int {
	t.Helper()
	ms, err := migration.Load(os.DirFS("."), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.Version > v {
			n++
		}
	}
	return n
}

// TestLegacyDatabase: a database written by the store before it moved onto sqlstore (its
// migrations, which did not change, applied by the runner of that time, and rows in its
// encoding: INTEGER unix microseconds) opens with nothing to apply but the migrations added
// since, and reads back as written.
func TestLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f2fpay.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at INTEGER NOT NULL) STRICT`)
	for i, name := range []string{"0001_init.sql", "0002_deliveries.sql", "0003_relay_cursors.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		exec(string(b))
		exec(`INSERT INTO schema_migrations VALUES (?, ?, ?)`, i+1, name, time.Now().UnixMicro())
	}
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	paid := at.Add(time.Minute)
	exec(`INSERT INTO orders (client_id, out_trade_no, total_amount, subject, status, cashier_token,
		metadata, timeout_minutes, late, created_at, updated_at, expires_at, paid_at, next_check_at)
		VALUES ('app-a', 'legacy-1', 990, 'old', 'paid', 'tok-legacy-1', '{"k":"v"}', 15, 0, ?, ?, ?, ?, ?)`,
		at.UnixMicro(), at.UnixMicro(), at.Add(15*time.Minute).UnixMicro(), paid.UnixMicro(), paid.UnixMicro())
	exec(`INSERT INTO events (id, key, type, client_id, out_trade_no, created_at, data)
		VALUES ('evt_legacy', 'k-legacy', 'payment.succeeded', 'app-a', 'legacy-1', ?, '{}')`, paid.UnixMicro())
	long := strings.Repeat("x", 5000)
	for _, verified := range []int{0, 1} {
		exec(`INSERT INTO notifications (received_at, out_trade_no, raw, verified, outcome) VALUES (?, 'legacy-1', ?, ?, 'refused: bad signature')`,
			paid.UnixMicro(), long, verified)
	}
	exec(`INSERT INTO clients (app_id, name, secret_sealed, created_at, updated_at) VALUES ('app-a', 'old', 'sealed', ?, ?)`,
		at.UnixMicro(), at.UnixMicro())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, path)
	if n, want := s.AppliedAtOpen(), migrationsAfter(t, 3); n != want {
		t.Errorf("Open of a legacy database applied %d migrations, want %d (those numbered after 0003)", n, want)
	}
	o, err := s.GetOrder(ctx, "legacy-1")
	if err != nil {
		t.Fatalf("GetOrder of a legacy row: %v", err)
	}
	if o.TotalAmount != 990 || o.Status != payment.StatusPaid || o.CreatedAt != at || o.PaidAt == nil ||
		*o.PaidAt != paid || o.NextCheckAt == nil || *o.NextCheckAt != paid || o.Metadata["k"] != "v" || o.Version != 1 {
		t.Errorf("legacy order read back as %+v", o)
	}
	if d, err := s.GetDelivery(ctx, "evt_legacy"); err != nil || d.NextAttemptAt == nil || *d.NextAttemptAt != paid {
		t.Errorf("delivery of the legacy event: %+v, %v", d, err)
	}
	// Time arguments compare with the stored encoding: due at paid, not a microsecond before.
	for _, tc := range []struct {
		now  time.Time
		want int
	}{{paid, 1}, {paid.Add(-time.Microsecond), 0}} {
		if due, err := s.DueOrders(ctx, tc.now, 10); err != nil || len(due) != tc.want {
			t.Errorf("DueOrders(%s) = %d orders, %v; want %d", tc.now, len(due), err, tc.want)
		}
	}
	o.Status, o.UpdatedAt = payment.StatusRefunded, paid
	if err := s.UpdateOrder(ctx, o); err != nil {
		t.Errorf("UpdateOrder of a legacy row: %v", err)
	}
	checkLegacyAudit(t, s, long)
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
