package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCheckFileMode(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		mode       os.FileMode
		bad, world bool
	}{{0o600, false, false}, {0o400, false, false}, {0o640, true, false}, {0o660, true, false}, {0o644, true, true}, {0o602, true, true}} {
		path := filepath.Join(dir, c.mode.String())
		if err := os.WriteFile(path, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, c.mode); err != nil {
			t.Fatal(err)
		}
		err := CheckFileMode(path)
		var me *ModeError
		if errors.As(err, &me) != c.bad || (c.bad && me.World != c.world) {
			t.Errorf("mode %04o: %v, want bad=%v world=%v", c.mode, err, c.bad, c.world)
		}
	}
	if err := CheckFileMode(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key, pub, tlsKey, db := touch("app.key"), touch("alipay.pub"), touch("tls.key"), touch("f2fpay.db")
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("listen: 127.0.0.1:8080\ndatabase: sqlite:/var/lib/f2fpay/f2fpay.db\nredis_url: redis://cache:6379/0\n"), 0o644)
	withSecret := filepath.Join(dir, "secret.yaml")
	os.WriteFile(withSecret, []byte("master_key: abc\n"), 0o600)
	withPassword := filepath.Join(dir, "password.yaml")
	os.WriteFile(withPassword, []byte("database: postgres://f2fpay:pw@db/f2fpay\n"), 0o600)
	env := envOf(map[string]string{
		"F2FPAY_ALIPAY_PRIVATE_KEY_FILE": key,
		"F2FPAY_ALIPAY_PUBLIC_KEY_FILE":  pub, // anyone may read a public key
		"F2FPAY_MASTER_KEY_FILE":         filepath.Join(dir, "absent"),
	})
	c := &Config{Database: "sqlite:" + db, TLS: TLSConfig{KeyFile: tlsKey}}
	paths := func(fs []SecretFile) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Path)
		}
		return out
	}
	if got, want := paths(c.SecretFiles(plain, env)), []string{key, tlsKey, db}; !slices.Equal(got, want) {
		t.Errorf("plain YAML: %v, want %v", got, want)
	}
	if got := paths(c.SecretFiles(withSecret, env)); len(got) == 0 || got[0] != withSecret {
		t.Errorf("YAML with a secret: %v, want it first", got)
	}
	if got := paths(c.SecretFiles(withPassword, env)); len(got) == 0 || got[0] != withPassword {
		t.Errorf("YAML with a DSN password: %v, want it first", got)
	}
	c.Database = "postgres://u:p@db/f2fpay"
	if got := paths(c.SecretFiles("", env)); slices.Contains(got, db) {
		t.Errorf("postgres DSN: %v lists a SQLite file", got)
	}
}
