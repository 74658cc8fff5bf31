package payment

import (
	"context"
	"time"
)

// RelayQueries keep the cursor of an outbox relay such as the NATS publisher (part of
// Queries): how far it has published, in event Seq, and which instance may publish now.
// One lease per relay name lets N instances run one relay without publishing side by side,
// and a dead instance's lease simply ends.
type RelayQueries interface {
	// ClaimRelay takes or renews the lease of relay name for owner until leaseUntil when it
	// is free (never held, ended at or before now, or owner's already) and returns the
	// cursor: the Seq of the last event published, 0 at first. ok is false, with no error,
	// when another owner holds the lease.
	ClaimRelay(ctx context.Context, name, owner string, now, leaseUntil time.Time) (cursor int64, ok bool, err error)
	// AdvanceRelay moves the cursor of name forward to seq (never back) while owner holds
	// the lease; ErrStale when another owner took it, ErrNotFound for an unknown relay.
	AdvanceRelay(ctx context.Context, name, owner string, seq int64) error
}
