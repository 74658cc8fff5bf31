package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// group is group commit for a database with one writer (SQLite): the write transactions
// of concurrent callers run one after the other inside one database transaction, each
// under a SAVEPOINT of its own, and commit together, with one fsync for all of them
// (docs/decisions.md, "Group commit on SQLite").
//
// What each caller sees is unchanged: its fn runs alone (one owner at a time, as SQLite's
// write lock would have it), sees its own writes and those of the callers before it in
// the batch, and an error or a panic of fn rolls back to its savepoint, leaving the others'
// writes alone. A caller whose fn succeeded is answered only after the COMMIT returned, so
// that what it was told is durable is (synchronous=FULL still holds for every commit); if
// the COMMIT fails, every caller of the batch gets the error, and none of them is told a
// write happened that did not.
//
// Ownership passes from caller to caller: the one that finishes its fn hands the open
// transaction to the first caller waiting, and the last one, who finds nobody waiting (or
// a full batch), commits. While a batch commits, new callers queue and form the next
// batch, so batches grow with the load by themselves and a lone caller never waits for
// company.
type group struct {
	db   *sql.DB
	d    *dialect
	ps   *prepared     // or nil
	max  int           // callers per batch at most
	wait time.Duration // how long a caller waits for its turn (the DSN's busy_timeout)

	mu    sync.Mutex
	busy  bool            // a caller owns the writer
	queue []chan struct{} // callers waiting for it, oldest first; closed to hand it over

	// Owned by the caller that owns the writer.
	tx      *sql.Tx
	batch   *batch
	commits int64 // transactions committed, for tests
}

// batch is the callers whose writes share one transaction.
type batch struct {
	done chan struct{} // closed once the transaction committed or rolled back
	err  error         // the COMMIT's error, or what broke the transaction
	n    int           // callers whose fn succeeded
}

// errWriterBusy is a caller's turn that did not come within the busy timeout: a Tx inside
// a Tx, or a writer stuck elsewhere.
var errWriterBusy = errors.New("database is locked: the writer stayed busy past busy_timeout")

func newGroup(db *sql.DB, d *dialect, wait time.Duration) *group {
	return &group{db: db, d: d, max: 128, wait: wait}
}

// run runs fn in the current batch, or in a new one, and returns once the batch committed
// (nil) or with fn's error unchanged; a panic of fn propagates after its savepoint rolled
// back.
func (g *group) run(ctx context.Context, fn func(q *queries) error) (err error) {
	if err := g.acquire(ctx); err != nil {
		return err
	}
	owned := true
	defer func() {
		if owned { // fn failed or panicked
			g.release()
		}
	}()
	// The statements of a batch never see a caller's cancellation: SQLite answers an
	// interrupt inside a transaction by rolling all of it back, the other callers' writes
	// too. A cancelled caller is refused while it waits for its turn instead.
	bg := context.WithoutCancel(ctx)
	if g.tx == nil {
		tx, err := g.db.BeginTx(bg, nil)
		if err != nil {
			owned = false
			g.release()
			return g.d.translate(err)
		}
		g.tx, g.batch = tx, &batch{done: make(chan struct{})}
	}
	b := g.batch
	if _, err := g.tx.ExecContext(bg, "SAVEPOINT txn"); err != nil {
		g.abort(err)
		owned = false
		g.release()
		return g.d.translate(err)
	}
	ok := false
	defer func() {
		if !ok { // fn failed or panicked: undo its writes only
			if _, rerr := g.tx.ExecContext(bg, "ROLLBACK TO txn"); rerr != nil {
				g.abort(rerr)
			} else if _, rerr := g.tx.ExecContext(bg, "RELEASE txn"); rerr != nil {
				g.abort(rerr)
			}
		}
	}()
	if err := fn(&queries{d: g.d, db: g.tx, ps: g.ps, detach: true}); err != nil {
		return err // the deferred calls roll back to the savepoint, then hand over
	}
	ok = true
	if _, err := g.tx.ExecContext(bg, "RELEASE txn"); err != nil {
		g.abort(err)
		owned = false
		g.release()
		return g.d.translate(err)
	}
	b.n++
	owned = false
	g.release()
	<-b.done
	return g.d.translate(b.err)
}

// acquire waits for the caller's turn to own the writer.
func (g *group) acquire(ctx context.Context) error {
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	g.queue = append(g.queue, turn)
	g.mu.Unlock()
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	var why error
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		why = ctx.Err()
	case <-timer.C:
		why = errWriterBusy
	}
	g.mu.Lock()
	for i, c := range g.queue {
		if c == turn {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			g.mu.Unlock()
			return g.d.translate(why)
		}
	}
	g.mu.Unlock()
	// The turn came while giving up: pass it on, so that the batch is not left open.
	<-turn
	g.release()
	return g.d.translate(why)
}

// release ends the owner's turn: it hands the open transaction to the next caller, or
// commits it when nobody waits or the batch is full, then hands the writer on.
func (g *group) release() {
	g.mu.Lock()
	if len(g.queue) > 0 && (g.batch == nil || g.batch.n < g.max) {
		g.handOverLocked()
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	g.finish()
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.handOverLocked()
	} else {
		g.busy = false
	}
	g.mu.Unlock()
}

func (g *group) handOverLocked() {
	next := g.queue[0]
	g.queue = g.queue[1:]
	close(next)
}

// finish commits the open transaction, if any, and answers its batch.
func (g *group) finish() {
	tx, b := g.tx, g.batch
	g.tx, g.batch = nil, nil
	if tx == nil {
		return
	}
	if b.n == 0 {
		_ = tx.Rollback() // nothing to keep
	} else {
		b.err = tx.Commit()
		g.commits++
	}
	close(b.done)
}

// abort ends a transaction that can no longer go on (a savepoint that cannot be released
// or rolled back to: SQLite rolled the whole transaction back after an I/O error, say):
// every caller of the batch gets the error.
func (g *group) abort(cause error) {
	tx, b := g.tx, g.batch
	g.tx, g.batch = nil, nil
	if tx == nil {
		return
	}
	_ = tx.Rollback()
	b.err = fmt.Errorf("transaction aborted: %w", cause)
	close(b.done)
}
