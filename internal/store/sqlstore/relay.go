package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

var (
	stClaimRelay = define("ClaimRelay", `INSERT INTO relay_cursors (name, seq, lease_owner, lease_until)
		VALUES (?, 0, ?, ?)
		ON CONFLICT (name) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
		WHERE relay_cursors.lease_owner = excluded.lease_owner OR relay_cursors.lease_until IS NULL
			OR relay_cursors.lease_until <= ?
		RETURNING seq`)
	stAdvanceRelay = define("AdvanceRelay", `UPDATE relay_cursors SET seq = {greatest}(seq, ?)
		WHERE name = ? AND lease_owner = ?`)
	stRelayExists = define("relayExists", `SELECT 1 FROM relay_cursors WHERE name = ?`)
)

// ClaimRelay takes or renews the lease of relay name in one upsert: the row is created on
// first use, and an existing lease changes hands only when it is owner's or has ended.
// It returns the cursor and true when owner holds the lease now, false when another does.
func (q *queries) ClaimRelay(ctx context.Context, name, owner string, now, leaseUntil time.Time) (int64, bool, error) {
	var seq int64
	err := q.scanOne(ctx, stClaimRelay, []any{&seq}, name, owner, leaseUntil, now)
	if errors.Is(err, payment.ErrNotFound) {
		return 0, false, nil // held by another owner: the upsert changed no row
	}
	return seq, err == nil, err
}

// AdvanceRelay moves the cursor forward, never back, while owner holds the lease.
// ErrStale when another owner holds it, ErrNotFound when there is no such relay.
func (q *queries) AdvanceRelay(ctx context.Context, name, owner string, seq int64) error {
	n, err := q.exec(ctx, stAdvanceRelay, seq, name, owner)
	if err != nil || n > 0 {
		return err
	}
	if err := q.exists(ctx, stRelayExists, name); err != nil {
		return err
	}
	return payment.ErrStale
}
