package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/f2fpay/f2fpay/internal/config"
)

// checkFileModes checks that only their owner may read the files holding secrets
// (config.SecretFiles: secret _FILE settings, tls.key_file, the SQLite database, a YAML
// file holding a secret, and a demo's files), as SPEC's 0600 asks. A file everyone may read
// fails; one its group may read warns (a deliberate group may need it).
func (d *doctor) checkFileModes(context.Context) {
	files := append(d.cfg.SecretFiles(d.o.ConfigPath, d.o.Getenv), d.o.SecretFiles...)
	var seen, world, group, other []string
	for _, f := range files {
		if slices.Contains(seen, f.Path) {
			continue
		}
		seen = append(seen, f.Path)
		var me *config.ModeError
		switch err := config.CheckFileMode(f.Path); {
		case err == nil:
		case errors.As(err, &me) && me.World:
			world = append(world, fmt.Sprintf("%s (%s) is %04o", f.Path, f.Setting, me.Mode.Perm()))
		case errors.As(err, &me):
			group = append(group, fmt.Sprintf("%s (%s) is %04o", f.Path, f.Setting, me.Mode.Perm()))
		default:
			other = append(other, err.Error())
		}
	}
	r := Result{Name: "file modes", Status: OK, Detail: fmt.Sprintf("%d secret file%s, readable by their owner only", len(seen), map[bool]string{true: "s"}[len(seen) != 1])}
	if len(seen) == 0 {
		r.Detail = "no secret held in a file"
	}
	var found []string
	if len(world) > 0 {
		r.Status, found = Fail, append(found, "every user may read "+strings.Join(world, ", "))
	}
	if len(group) > 0 {
		r.Status, found = max(r.Status, Warn), append(found, "the group may read "+strings.Join(group, ", "))
	}
	if len(other) > 0 {
		r.Status, found = max(r.Status, Warn), append(found, other...)
	}
	if len(found) > 0 {
		r.Detail, r.Fix = strings.Join(found, "; "), "chmod 600 each file named (owned by the user f2fpay runs as)"
	}
	d.add(r)
}
