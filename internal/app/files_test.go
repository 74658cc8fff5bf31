package app

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
)

// TestWarnsAboutExposedSecretFiles: at start, one warning line per secret file that other
// users may read or write — a secret's _FILE, a YAML file holding a secret, the TLS key, a
// SQLite database that existed at 0644 — naming the setting, the path and the mode, never
// the content; a 0600 secret file, a public key's _FILE and a database New creates itself
// (0600) are not reported.
func TestWarnsAboutExposedSecretFiles(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	files := map[string]os.FileMode{"old.db": 0o644, "tls.key": 0o644, "master.key": 0o640, "f2fpay.yaml": 0o604,
		"admin.hash": 0o600, "alipay.pub": 0o644}
	for name, mode := range files {
		content := "SECRET-CONTENT-" + name
		switch name {
		case "f2fpay.yaml":
			content = "master_key: SECRET-CONTENT\n"
		case "old.db":
			content = ""
		}
		if err := os.WriteFile(p(name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p(name), mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	env := map[string]string{"F2FPAY_MASTER_KEY_FILE": p("master.key"), "F2FPAY_ADMIN_PASSWORD_HASH_FILE": p("admin.hash"),
		"F2FPAY_ALIPAY_PUBLIC_KEY_FILE": p("alipay.pub")}
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
	setup(t, func(c *config.Config) { c.Database, c.TLS.KeyFile = "sqlite:"+p("old.db"), p("tls.key") },
		func(o *Options) {
			o.Logger, o.ConfigPath, o.Getenv = logger, p("f2fpay.yaml"), func(k string) string { return env[k] }
		})
	setup(t, nil, func(o *Options) { o.Logger = logger }) // a database of its own, created now
	mu.Lock()
	defer mu.Unlock()
	got := map[string]string{}
	for _, line := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && strings.HasPrefix(m["msg"].(string), "secret file is readable") {
			got[filepath.Base(m["path"].(string))] = m["setting"].(string) + " " + m["mode"].(string) + " " + m["level"].(string)
		}
	}
	want := map[string]string{"old.db": "database 0644 WARN", "tls.key": "tls.key_file 0644 WARN",
		"master.key": "F2FPAY_MASTER_KEY_FILE 0640 WARN", "f2fpay.yaml": "--config 0604 WARN"}
	if len(got) != len(want) {
		t.Fatalf("warnings %v, want %v:\n%s", got, want, logs.String())
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: warned %q, want %q", k, got[k], v)
		}
	}
	if strings.Contains(logs.String(), "SECRET-CONTENT") {
		t.Fatal("a secret file's content reached the log")
	}
}

// lockedWriter serialises writes of several loggers into one builder.
type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
