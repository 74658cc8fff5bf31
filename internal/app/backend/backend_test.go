package backend

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

func TestOpenStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, dsn := range []string{"sqlite:" + filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")} {
		st, err := OpenStore(t.Context(), dsn, config.PoolConfig{})
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if err := st.Ping(t.Context()); err != nil {
			t.Fatalf("%s: ping: %v", dsn, err)
		}
		st.Close()
	}
	for dsn, want := range map[string]string{
		"sqlite:": "database: empty DSN",
		"sqlite:" + filepath.Join(dir, "x", "y", "z.db"): "database " + filepath.Join(dir, "x", "y", "z.db"),
	} {
		if _, err := OpenStore(t.Context(), dsn, config.PoolConfig{}); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v; want it to start %q", dsn, err, want)
		}
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	t.Parallel()
	st, err := OpenStore(t.Context(), filepath.Join(t.TempDir(), "f2fpay.db"), config.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := New(st, Options{MasterKey: "short"}); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("bad master key: %v", err)
	}
	if _, err := New(st, Options{MasterKey: secretbox.NewKey(), Alipay: config.AlipayConfig{AppID: "2021000000000001", PrivateKey: "nope"}}); err == nil {
		t.Fatal("an unreadable private key was accepted")
	}
}
