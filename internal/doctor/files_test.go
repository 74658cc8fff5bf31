package doctor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
)

// TestFileModes: a secret file every user may read fails, one its group may read warns,
// and the SQLite database (created 0600) passes.
func TestFileModes(t *testing.T) {
	b := setup(t)
	keyFile := filepath.Join(b.dir, "app.key")
	if err := os.WriteFile(keyFile, []byte(b.cfg.Alipay.PrivateKey), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "F2FPAY_ALIPAY_PRIVATE_KEY_FILE" {
			return keyFile
		}
		return ""
	}
	for _, c := range []struct {
		mode   os.FileMode
		st     Status
		detail string
	}{{0o644, Fail, "every user may read " + keyFile + " (F2FPAY_ALIPAY_PRIVATE_KEY_FILE) is 0644"},
		{0o640, Warn, "the group may read " + keyFile}, {0o600, OK, "2 secret files"}} {
		if err := os.Chmod(keyFile, c.mode); err != nil {
			t.Fatal(err)
		}
		rs := b.run(t, func(_ *config.Config, o *Options) { o.Getenv, o.Local = env, true })
		want(t, rs, "file modes", c.st, c.detail)
	}
}
