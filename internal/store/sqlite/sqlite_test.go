package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000",
		"auto_vacuum": "2"} // incremental
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

// TestCompact: a file made before incremental auto-vacuum is converted at Open, and after a
// purge Compact gives the freed pages back to the file system.
func TestCompact(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f2fpay.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE legacy (x TEXT)`); err != nil { // auto_vacuum stays NONE
		t.Fatal(err)
	}
	raw.Close()
	s := open(t, path)
	if got, _ := s.Pragma(ctx, "auto_vacuum"); got != "2" {
		t.Fatalf("auto_vacuum of a converted file = %s, want 2 (incremental)", got)
	}
	big := strings.Repeat("x", 4000)
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 500 {
		if err := s.InsertChannelCall(ctx, &payment.ChannelCall{Method: "m", Request: big, CreatedAt: old}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		n, err := s.PurgeChannelCalls(ctx, old.Add(time.Hour), 200)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	free := func() int {
		v, err := s.Pragma(ctx, "freelist_count")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(v)
		return n
	}
	before := free()
	if before < 400 {
		t.Fatalf("freelist after the purge: %d pages, want the purged rows' pages", before)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if after := free(); after >= before {
		t.Errorf("freelist %d pages before Compact, %d after; want fewer", before, after)
	}
}

func TestOpenRejectsMemory(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), ":memory:"); err == nil {
		t.Error("Open(:memory:) succeeded; every pooled connection would see its own database")
	}
}
