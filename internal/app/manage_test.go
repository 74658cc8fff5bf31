package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

// TestManage: the management commands' service creates clients with the master key, lists
// them without it, and a bad key or database is refused by name.
func TestManage(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{Database: "sqlite:" + filepath.Join(t.TempDir(), "f2fpay.db"), MasterKey: secretbox.NewKey()}
	st, svc, err := Manage(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateMerchant(t.Context(), "till", ""); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg.MasterKey = ""
	st, _, err = Manage(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if cs, err := st.ListMerchants(t.Context()); err != nil || len(cs) != 1 || cs[0].Name != "till" {
		t.Fatalf("clients: %+v %v", cs, err)
	}
	cfg.MasterKey = "short"
	if _, _, err := Manage(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("bad master key: %v", err)
	}
	if _, _, err := Manage(t.Context(), &config.Config{}); err == nil || !strings.Contains(err.Error(), "database") {
		t.Fatalf("no database: %v", err)
	}
}
