package secretbox

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := New(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := b.Seal([]byte("sk_secret"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "sk_secret") {
		t.Fatal("sealed value shows the plain secret")
	}
	plain, err := b.Open(sealed)
	if err != nil || string(plain) != "sk_secret" {
		t.Fatalf("open = %q, %v", plain, err)
	}
	other, _ := New(NewKey())
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("another key opened the value")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := b.Open(tampered); err == nil {
		t.Fatal("tampered value opened")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "master.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || k1 != k2 {
		t.Fatalf("second load = %q, %v; want %q", k2, err, k1)
	}
	if _, err := New("c2hvcnQ="); err == nil {
		t.Fatal("short key accepted")
	}
}
