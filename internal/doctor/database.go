package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/f2fpay/f2fpay/internal/app/backend"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/store/migration"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// dsnFix is the fix of a database that cannot be reached.
const dsnFix = "set database (F2FPAY_DATABASE) to sqlite:/path/to/f2fpay.db or postgres://user:password@host:5432/db?sslmode=…, and check that PostgreSQL accepts connections from this host"

// checkDatabase checks that the database answers and which migrations it has applied,
// without opening it as serve does (that would apply them, or create a SQLite file).
func (d *doctor) checkDatabase(ctx context.Context) {
	dsn := d.cfg.Database
	if dsn == "" {
		d.add(Result{Name: "database", Status: Skip, Detail: "no database configured"})
		return
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok && config.SQLitePath(dsn) != "" {
		d.add(Result{Name: "database", Status: Fail, Detail: fmt.Sprintf("%s:// is not a database f2fpay speaks (serve would take it for a SQLite file name)", scheme), Fix: dsnFix})
		return
	}
	ctx, cancel := d.timeout(ctx)
	defer cancel()
	var st migration.Status
	var err error
	var where string // the database, for the messages
	if path := config.SQLitePath(dsn); path != "" {
		where = "SQLite " + path
		if st, err = sqlite.Inspect(ctx, path); errors.Is(err, fs.ErrNotExist) {
			d.add(missingSQLite(path))
			return
		}
	} else {
		where = "PostgreSQL " + postgresHost(dsn)
		st, err = postgres.Inspect(ctx, dsn, d.cfg.DatabasePool.Schema)
	}
	if err != nil {
		d.add(Result{Name: "database", Status: Fail, Detail: where + ": " + err.Error(), Fix: dsnFix})
		return
	}
	d.add(Result{Name: "database", Status: OK, Detail: where + " answers"})
	d.add(migrations(st))
	if st.Current() && d.cfg.Alipay.CertMode() {
		d.openStore(ctx)
	}
}

// missingSQLite judges a SQLite file that does not exist: serve creates it if its
// directory exists.
func missingSQLite(path string) Result {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return Result{Name: "database", Status: Fail, Detail: fmt.Sprintf("SQLite %s: the directory %s does not exist", path, dir),
			Fix: fmt.Sprintf("create it (mkdir -p %s, owned by the user f2fpay runs as) or correct database (F2FPAY_DATABASE)", dir)}
	}
	return Result{Name: "database", Status: Warn, Detail: fmt.Sprintf("SQLite %s does not exist yet: serve creates it and applies the migrations", path),
		Fix: "run `f2fpay migrate` or start serve, if this is the database you mean; otherwise correct database (F2FPAY_DATABASE)"}
}

// migrations judges the schema: pending migrations are a warning (serve applies them at
// start), migrations this build does not know are a failure (a newer f2fpay ran).
func migrations(st migration.Status) Result {
	r := Result{Name: "migrations"}
	switch {
	case len(st.Unknown) > 0:
		r.Status, r.Detail = Fail, fmt.Sprintf("the database has migrations this build does not carry (versions %v): a newer f2fpay migrated it", st.Unknown)
		r.Fix = "run the f2fpay version that migrated it, or a newer one"
	case len(st.Pending) > 0:
		r.Status, r.Detail = Warn, fmt.Sprintf("%d of %d applied, %d pending (%s)", st.Applied, st.Embedded, len(st.Pending), strings.Join(st.Pending, ", "))
		r.Fix = "run `f2fpay migrate` (serve also applies them when it starts)"
	default:
		r.Status, r.Detail = OK, fmt.Sprintf("all %d applied", st.Embedded)
	}
	return r
}

// openStore opens the database as serve does, for the shared certificate cache; with
// every migration applied and the file there, that changes nothing.
func (d *doctor) openStore(ctx context.Context) {
	st, err := backend.OpenStore(ctx, d.cfg.Database, d.cfg.DatabasePool)
	if err != nil {
		return // checkAlipayCerts then checks without the cache
	}
	d.store = st
	d.closers = append(d.closers, func() { _ = st.Close() })
}

// postgresHost is the host:port/db of a PostgreSQL DSN, without credentials.
func postgresHost(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return u.Host + u.Path
}
