package config

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// secretEnv are the settings whose values are secrets (keys, password hashes, URLs that may
// carry a password). The public keys and certificates also have _FILE forms, for
// convenience, but anyone may read them.
var secretEnv = []string{"DATABASE", "MASTER_KEY", "ALIPAY_PRIVATE_KEY", "WECHAT_PRIVATE_KEY", "WECHAT_API_V3_KEY", "ADMIN_PASSWORD_HASH", "REDIS", "NATS"}

// SecretFile is a file that holds a secret of a configuration, and the setting that names
// it (an F2FPAY_…_FILE variable, tls.key_file, database, the configuration file).
type SecretFile struct {
	Setting string
	Path    string
}

// SecretFiles lists the files holding c's secrets that exist: the YAML file at configPath
// when it sets a secret itself, the file of each secret F2FPAY_<NAME>_FILE in getenv,
// tls.key_file, the SQLite database file and the master key of data_dir. `serve` warns
// about and `doctor` checks their modes with CheckFileMode (SPEC: files holding data or
// secrets are 0600).
func (c *Config) SecretFiles(configPath string, getenv func(string) string) []SecretFile {
	var out []SecretFile
	add := func(setting, path string) {
		if path == "" {
			return
		}
		if _, err := os.Stat(path); err == nil {
			out = append(out, SecretFile{Setting: setting, Path: path})
		}
	}
	if configPath != "" && yamlHasSecret(configPath) {
		add("--config", configPath)
	}
	for _, name := range secretEnv {
		v := "F2FPAY_" + name + "_FILE"
		if getenv("F2FPAY_"+name) == "" {
			add(v, getenv(v))
		}
	}
	add("tls.key_file", c.TLS.KeyFile)
	add("database", SQLitePath(c.Database))
	if c.DataDir != "" {
		add("data_dir", filepath.Join(c.DataDir, "master.key"))
	}
	return out
}

// yamlHasSecret reports whether the YAML file itself sets a secret setting (an unreadable
// file counts as one: its mode is then worth a look).
func yamlHasSecret(path string) bool {
	c, err := Load(path, func(string) string { return "" })
	if err != nil {
		return true
	}
	for _, v := range []string{c.MasterKey, c.Alipay.PrivateKey, c.WeChat.PrivateKey, c.WeChat.APIv3Key, c.Admin.PasswordHash} {
		if v != "" {
			return true
		}
	}
	for _, v := range []string{c.Database, c.RedisURL, c.Events.NATSURL} {
		if hasPassword(v) {
			return true
		}
	}
	return false
}

// hasPassword reports whether a URL (a DSN) carries a password; a sqlite: DSN never does.
func hasPassword(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return strings.Contains(raw, "@") // unparseable: assume the worst
	}
	_, ok := u.User.Password()
	return ok
}

// SQLitePath is the file of a SQLite DSN (sqlite:PATH or a bare path), "" for PostgreSQL
// and for an empty DSN.
func SQLitePath(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return ""
	}
	return strings.TrimPrefix(dsn, "sqlite:")
}

// ModeError is a secret file that users other than its owner may access.
type ModeError struct {
	Path  string
	Mode  fs.FileMode
	World bool // every user may access it, not only its group
}

// Error says who may read the file and how to fix it.
func (e *ModeError) Error() string {
	who := "its group"
	if e.World {
		who = "every user"
	}
	return fmt.Sprintf("%s is mode %04o: %s may access it (chmod 600 %s)", e.Path, e.Mode.Perm(), who, e.Path)
}

// CheckFileMode returns nil when only its owner may access the file at path (following
// symbolic links), a *ModeError when its group or everyone may, and stat's error when it
// cannot be looked at.
func CheckFileMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	return &ModeError{Path: path, Mode: fi.Mode(), World: fi.Mode().Perm()&0o007 != 0}
}
