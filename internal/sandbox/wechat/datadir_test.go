package wechat

import (
	"os"
	"path/filepath"
	"testing"
)

// A key kept in the data dir is read back as the running sandbox reports it.
func TestPlatformPublicKeyFromDir(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := PlatformPublicKeyFromDir(dir); err == nil {
		t.Fatal("an empty dir gave a key")
	}
	s, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	pem, id, err := PlatformPublicKeyFromDir(dir)
	if err != nil || pem != s.PlatformPublicKeyPEM() || id != s.PlatformPublicKeyID() {
		t.Fatalf("got %q %q %v; the sandbox has %q", pem, id, err, s.PlatformPublicKeyID())
	}
	if got := SecretFiles(dir); len(got) != 1 || got[0] != filepath.Join(dir, keyFile) {
		t.Fatalf("secret files %v", got)
	}
	if err := os.WriteFile(filepath.Join(dir, keyFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := PlatformPublicKeyFromDir(dir); err == nil {
		t.Fatal("a garbled key was read")
	}
}
