package sandbox

import (
	"path/filepath"
	"testing"
)

func TestDataDirFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := AlipayPublicKeyFromDir(dir); err == nil {
		t.Fatal("an empty dir gave a key")
	}
	s, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pub, err := AlipayPublicKeyFromDir(dir)
	if err != nil || pub != s.AlipayPublicKeyPEM() {
		t.Fatalf("key from the dir: %v\n%s\nwant\n%s", err, pub, s.AlipayPublicKeyPEM())
	}
	if got := SecretFiles(dir); len(got) != 1 || got[0] != filepath.Join(dir, keyFile) {
		t.Fatalf("before certificate mode: %v", got)
	}
	if err := s.RegisterApp("2021000000000001", pub); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IssueAppCert("2021000000000001", pub); err != nil {
		t.Fatal(err)
	}
	if got := SecretFiles(dir); len(got) != 2 || got[1] != filepath.Join(dir, caFile) {
		t.Fatalf("after certificate mode: %v", got)
	}
}
