//go:build unix

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestFileModes: under the common umask 022 the database and its -wal and -shm files are
// created 0600, not 0644; a file that exists keeps its mode.
func TestFileModes(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022)) // process-wide: this test is not parallel
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f2fpay.db")
	s := open(t, path)
	o := &payment.Order{ClientID: "app-a", OutTradeNo: "mode-1", TotalAmount: 1, Subject: "s",
		Status: payment.StatusPending, CashierToken: "tok-mode-1"}
	if err := s.InsertOrder(ctx, o); err != nil { // a write, so that the WAL holds a frame
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", filepath.Base(p), err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s mode %#o, want 0600", filepath.Base(p), m)
		}
	}

	kept := filepath.Join(t.TempDir(), "kept.db")
	if err := os.WriteFile(kept, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	open(t, kept)
	if fi, err := os.Stat(kept); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("existing file: %v, %v; want its mode 0640 kept", fi.Mode(), err)
	}
}
