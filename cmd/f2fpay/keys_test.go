package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"

	"github.com/f2fpay/f2fpay/internal/testbin"
)

// TestServeRefusesMismatchedKeys: serve names the problem when the app private key does not
// belong to the configured app public key, and when settings are missing.
func TestServeRefusesMismatchedKeys(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{a, b} {
		if _, _, err := writeAppKeys(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := config.CheckKeyPair(mustRead(t, filepath.Join(a, appPrivateFile)), mustRead(t, filepath.Join(a, appPublicFile))); err != nil {
		t.Fatalf("matching pair refused: %v", err)
	}
	for k, v := range map[string]string{
		"F2FPAY_PUBLIC_URL": "https://pay.example.com", "F2FPAY_DATABASE": "sqlite:" + filepath.Join(dir, "db"),
		"F2FPAY_MASTER_KEY": "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", "F2FPAY_ALIPAY_APP_ID": "2021000000000001",
		"F2FPAY_ALIPAY_PRIVATE_KEY_FILE":    filepath.Join(a, appPrivateFile),
		"F2FPAY_ALIPAY_APP_PUBLIC_KEY_FILE": filepath.Join(b, appPublicFile),
		"F2FPAY_ALIPAY_PUBLIC_KEY_FILE":     filepath.Join(b, appPublicFile),
	} {
		t.Setenv(k, v)
	}
	var out, errOut testbin.Buffer
	if code := run(context.Background(), []string{"serve"}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "the app private key does not match app public key SHA256:") {
		t.Fatalf("serve with a mismatched key pair: exit %d, %q", code, errOut.String())
	}
	t.Setenv("F2FPAY_ALIPAY_APP_ID", "")
	errOut = testbin.Buffer{}
	if code := run(context.Background(), []string{"serve"}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "alipay.app_id (F2FPAY_ALIPAY_APP_ID) is missing") {
		t.Fatalf("serve without an app id: exit %d, %q", code, errOut.String())
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKeysGenNeverOverwrites: keys gen creates the private key 0600 and refuses to write
// over any existing file (nothing is left behind), also through a symbolic link planted where
// the key goes; --force replaces the pair by rename, leaving a link's target untouched.
func TestKeysGenNeverOverwrites(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	gen := func(extra ...string) (int, string) {
		var out, errOut testbin.Buffer
		code := run(context.Background(), append([]string{"keys", "gen", "--out", dir}, extra...), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	priv := filepath.Join(dir, appPrivateFile)
	if code, out := gen(); code != 0 {
		t.Fatalf("keys gen: %d %s", code, out)
	}
	if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", st.Mode(), err)
	}
	first := mustRead(t, priv)
	if code, out := gen(); code == 0 || !strings.Contains(out, "exists; not overwriting a key (--force replaces the pair)") || mustRead(t, priv) != first {
		t.Fatalf("second keys gen: %d %s", code, out)
	}

	// Only the public key left: the new private key is not kept either.
	if err := os.Remove(priv); err != nil {
		t.Fatal(err)
	}
	if code, out := gen(); code == 0 || !strings.Contains(out, appPublicFile+" exists") {
		t.Fatalf("keys gen over a public key: %d %s", code, out)
	}
	if _, err := os.Stat(priv); !os.IsNotExist(err) {
		t.Fatalf("a failed keys gen left a private key behind: %v", err)
	}

	// A link planted where the private key goes is not written through.
	elsewhere := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(elsewhere, []byte("victim"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, priv); err != nil {
		t.Fatal(err)
	}
	if code, out := gen(); code == 0 || mustRead(t, elsewhere) != "victim" {
		t.Fatalf("keys gen through a link: %d %s; target now %q", code, out, mustRead(t, elsewhere))
	}
	if code, out := gen("--force"); code != 0 {
		t.Fatalf("keys gen --force: %d %s", code, out)
	}
	st, err := os.Lstat(priv)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 || mustRead(t, elsewhere) != "victim" ||
		!strings.Contains(mustRead(t, priv), "PRIVATE KEY") || mustRead(t, priv) == first {
		t.Fatalf("after --force: %v %v, target %q", st.Mode(), err, mustRead(t, elsewhere))
	}
	if err := config.CheckKeyPair(mustRead(t, priv), mustRead(t, filepath.Join(dir, appPublicFile))); err != nil {
		t.Fatalf("--force wrote a mismatched pair: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*.new-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}
