package app

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/f2fpay/f2fpay/internal/config"
)

// warnSecretFiles logs one warning per secret file of the configuration that users other
// than its owner may read or write (config.SecretFiles, config.CheckFileMode): the file of a
// secret F2FPAY_<NAME>_FILE, a YAML file holding a secret, tls.key_file, the SQLite
// database. It names the setting, the path and the mode, never the content, and stops
// nothing: the operator may have reasons (docs/security.md). It runs before the store is
// opened, so a database created now (0600) is not looked at.
func (a *App) warnSecretFiles(o Options) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	for _, f := range a.cfg.SecretFiles(o.ConfigPath, getenv) {
		var me *config.ModeError
		if err := config.CheckFileMode(f.Path); errors.As(err, &me) {
			a.log.Warn("secret file is readable or writable by other users; chmod 600 it",
				slog.String("setting", f.Setting), slog.String("path", f.Path),
				slog.String("mode", fmt.Sprintf("%04o", me.Mode.Perm())), slog.Bool("every_user", me.World))
		}
	}
}
