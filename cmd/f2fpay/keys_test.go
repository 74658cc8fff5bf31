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
