package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// testRelay: one relay lease at a time; the holder renews it and moves the cursor forward
// only; when the lease ends another owner takes it over with the cursor where it was.
func testRelay(t *testing.T, s payment.Store) {
	ctx := context.Background()
	claim := func(name, owner string, now time.Duration) (int64, bool) {
		t.Helper()
		seq, ok, err := s.ClaimRelay(ctx, name, owner, at(now), at(now+30*time.Second))
		must(t, "ClaimRelay", err)
		return seq, ok
	}
	seq, ok := claim("nats", "a", 0)
	equal(t, "first claim", []any{seq, ok}, []any{int64(0), true})
	_, ok = claim("nats", "b", 10*time.Second)
	equal(t, "claim while a holds it", ok, false)
	must(t, "AdvanceRelay a", s.AdvanceRelay(ctx, "nats", "a", 7))
	must(t, "AdvanceRelay a back", s.AdvanceRelay(ctx, "nats", "a", 3))
	seq, ok = claim("nats", "a", 20*time.Second) // renewal until +50s
	equal(t, "renewed", []any{seq, ok}, []any{int64(7), true})
	_, ok = claim("nats", "b", 49*time.Second)
	equal(t, "claim before the renewed lease ends", ok, false)
	seq, ok = claim("other", "b", 49*time.Second)
	equal(t, "relays are independent", []any{seq, ok}, []any{int64(0), true})
	seq, ok = claim("nats", "b", 50*time.Second)
	equal(t, "taken over after the lease", []any{seq, ok}, []any{int64(7), true})
	wantErr(t, "advance by the old owner", s.AdvanceRelay(ctx, "nats", "a", 9), payment.ErrStale)
	wantErr(t, "advance an unknown relay", s.AdvanceRelay(ctx, "none", "a", 9), payment.ErrNotFound)
	must(t, "AdvanceRelay b", s.AdvanceRelay(ctx, "nats", "b", 9))
	seq, _ = claim("nats", "b", 60*time.Second)
	equal(t, "cursor after b", seq, int64(9))
}
