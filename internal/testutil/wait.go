// Package testutil holds small helpers shared by the tests of every package. It imports only
// the standard library so that any package's internal tests can use it without a cycle.
package testutil

import (
	"context"
	"testing"
	"time"
)

// DefaultWait is the outer deadline of WaitFor when the caller passes 0. It is generous on
// purpose: the suites run on loaded 2-core machines, and a condition that holds is noticed
// within one poll interval anyway. Latency targets belong in benchmarks, not here.
const DefaultWait = 60 * time.Second

// WaitFor polls cond until it returns true, failing the test with msg when within passes
// (0 means DefaultWait). It polls quickly at first and backs off to 100 ms, so a fast
// condition costs little and a slow one does not spin.
func WaitFor(t testing.TB, within time.Duration, msg string, cond func() bool) {
	t.Helper()
	if !Eventually(within, cond) {
		t.Fatalf("waited %s: %s", orDefault(within), msg)
	}
}

// Eventually is WaitFor without a test: it reports whether cond became true in time.
func Eventually(within time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), orDefault(within))
	defer cancel()
	return Until(ctx, cond)
}

// Until is Eventually bounded by a context rather than a duration, for goroutines that may
// not fail the test themselves and for waits that end with the test's own context: it
// reports whether cond became true before ctx ended. cond is always tried at least once.
func Until(ctx context.Context, cond func() bool) bool {
	pause := 2 * time.Millisecond
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(pause):
		}
		if pause < 100*time.Millisecond {
			pause *= 2
		}
	}
}

func orDefault(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultWait
	}
	return d
}
