package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/f2fpay/f2fpay/internal/testutil"
)

// groupOn opens a real SQLite file as the sqlite package does (WAL, synchronous=FULL,
// BEGIN IMMEDIATE) with one table, and a group over it that waits wait for a turn.
func groupOn(t *testing.T, wait time.Duration) (*group, *sql.DB) {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "g.db") + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(8)
	if _, err := db.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	d := compile(Dialect{Name: "sqlite", Translate: func(error) error { return nil }})
	return newGroup(db, d, wait), db
}

func insert(ctx context.Context, q *queries, k string) error {
	_, err := q.db.ExecContext(q.ctx(ctx), `INSERT INTO t (k) VALUES (?)`, k)
	return err
}

func rows(t *testing.T, db *sql.DB) map[string]bool {
	t.Helper()
	rs, err := db.Query(`SELECT k FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]bool{}
	for rs.Next() {
		var k string
		_ = rs.Scan(&k)
		got[k] = true
	}
	return got
}

func queued(g *group) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

// TestGroupBatches: callers that arrive while one holds the writer commit together, in
// one transaction; one whose fn fails or panics loses only its own writes, and a caller
// cancelled while it waits writes nothing and leaves the batch to commit.
func TestGroupBatches(t *testing.T) {
	g, db := groupOn(t, 30*time.Second)
	ctx := context.Background()
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := map[string]error{}
	var mu sync.Mutex
	start := func(k string, ctx context.Context, fn func(q *queries) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					errs[k] = errors.New("panicked")
					mu.Unlock()
				}
			}()
			err := g.run(ctx, fn)
			mu.Lock()
			errs[k] = err
			mu.Unlock()
		}()
	}
	start("first", ctx, func(q *queries) error {
		if err := insert(ctx, q, "first"); err != nil {
			return err
		}
		<-release // the others queue meanwhile
		return nil
	})
	testutil.WaitFor(t, 10*time.Second, "the first caller owns the writer", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.busy
	})
	boom := errors.New("boom")
	// Each caller is queued before the next starts, so that the batch runs them in this
	// order ("dup" after "a").
	queue := func(k string, ctx context.Context, fn func(q *queries) error) {
		n := queued(g)
		start(k, ctx, fn)
		testutil.WaitFor(t, 10*time.Second, k+" queued", func() bool { return queued(g) == n+1 })
	}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		queue(k, ctx, func(q *queries) error { return insert(ctx, q, k) })
	}
	queue("fails", ctx, func(q *queries) error {
		if err := insert(ctx, q, "fails"); err != nil {
			return err
		}
		return boom
	})
	queue("panics", ctx, func(q *queries) error {
		if err := insert(ctx, q, "panics"); err != nil {
			return err
		}
		panic("kaboom")
	})
	queue("dup", ctx, func(q *queries) error { return insert(ctx, q, "a") }) // taken by a, before it in the batch
	cctx, cancel := context.WithCancel(ctx)
	queue("cancelled", cctx, func(q *queries) error { return insert(ctx, q, "cancelled") })
	testutil.WaitFor(t, 10*time.Second, "12 callers queued", func() bool { return queued(g) == 12 })
	cancel()
	testutil.WaitFor(t, 10*time.Second, "the cancelled caller left the queue", func() bool { return queued(g) == 11 })
	close(release)
	wg.Wait()

	got := rows(t, db)
	for _, k := range []string{"first", "a", "b", "c", "d", "e", "f", "g", "h"} {
		if errs[k] != nil || !got[k] {
			t.Errorf("%s: err %v, committed %v; want nil and committed", k, errs[k], got[k])
		}
	}
	if errs["fails"] != boom || got["fails"] {
		t.Errorf("failing caller: err %v, row kept %v; want its own error and no row", errs["fails"], got["fails"])
	}
	if errs["panics"] == nil || got["panics"] {
		t.Errorf("panicking caller: err %v, row kept %v; want the panic and no row", errs["panics"], got["panics"])
	}
	if errs["dup"] == nil {
		t.Error("a duplicate key inside the batch was accepted")
	}
	if !errors.Is(errs["cancelled"], context.Canceled) || got["cancelled"] {
		t.Errorf("cancelled caller: err %v, row %v; want context.Canceled and no row", errs["cancelled"], got["cancelled"])
	}
	if g.commits != 1 { // the first and the ten that queued behind it
		t.Errorf("commits = %d, want 1 (one batch)", g.commits)
	}
	if len(got) != 9 {
		t.Errorf("rows %v, want 9", got)
	}
}

// TestGroupLone: a caller alone commits at once, without waiting for company.
func TestGroupLone(t *testing.T) {
	g, db := groupOn(t, 30*time.Second)
	ctx := context.Background()
	for _, k := range []string{"x", "y", "z"} {
		if err := g.run(ctx, func(q *queries) error { return insert(ctx, q, k) }); err != nil {
			t.Fatal(err)
		}
		if !rows(t, db)[k] {
			t.Fatalf("%s not visible after run returned", k)
		}
	}
	if g.commits != 3 {
		t.Errorf("commits = %d, want 3", g.commits)
	}
}

// TestGroupNested: a write transaction started inside another (a misuse) fails after the
// wait instead of hanging, and the outer one still commits.
func TestGroupNested(t *testing.T) {
	g, db := groupOn(t, 200*time.Millisecond)
	ctx := context.Background()
	var inner error
	err := g.run(ctx, func(q *queries) error {
		inner = g.run(ctx, func(q *queries) error { return insert(ctx, q, "inner") })
		return insert(ctx, q, "outer")
	})
	if err != nil {
		t.Fatal(err)
	}
	if inner == nil || !errors.Is(inner, errWriterBusy) {
		t.Errorf("nested run: %v, want %v", inner, errWriterBusy)
	}
	if got := rows(t, db); !got["outer"] || got["inner"] {
		t.Errorf("rows %v, want outer only", got)
	}
}
