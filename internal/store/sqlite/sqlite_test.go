package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
	"github.com/f2fpay/f2fpay/internal/store/storetest"
)

// open returns a fresh store on a temp file, closed when t ends.
func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) payment.Store {
		return open(t, filepath.Join(t.TempDir(), "f2fpay.db"))
	})
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "f2fpay.db")) // Open migrated already
	for i := range 2 {
		n, err := s.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("Migrate #%d = %d, %v; want 0, nil", i+1, n, err)
		}
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f2fpay.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	o := &payment.Order{ClientID: "app-a", OutTradeNo: "keep-1", TotalAmount: 990, Subject: "s",
		Status: payment.StatusPending, CashierToken: "tok-keep-1"}
	if err := s.InsertOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := s.UseNonce(ctx, "app-a", "nonce-1", o.CreatedAt, o.CreatedAt.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	got, err := s.GetOrder(ctx, "keep-1")
	if err != nil || got.ID != o.ID || got.TotalAmount != 990 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if err := s.UseNonce(ctx, "app-a", "nonce-1", o.CreatedAt, o.CreatedAt.AddDate(1, 0, 0)); err != payment.ErrDuplicate {
		t.Errorf("nonce replay after reopen: %v, want ErrDuplicate", err)
	}
}

func TestPragmas(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "f2fpay.db"))
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000"}
	for name, w := range want {
		got, err := s.Pragma(ctx, name)
		if err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		if got != w {
			t.Errorf("PRAGMA %s = %q, want %q", name, got, w)
		}
	}
}

func TestOpenRejectsMemory(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), ":memory:"); err == nil {
		t.Error("Open(:memory:) succeeded; every pooled connection would see its own database")
	}
}
