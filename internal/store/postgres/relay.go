package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// ClaimRelay takes or renews the lease of relay name in one upsert: the row is created on
// first use, and an existing lease changes hands only when it is owner's or has ended.
func (q *queries) ClaimRelay(ctx context.Context, name, owner string, now, leaseUntil time.Time) (int64, bool, error) {
	var seq int64
	err := q.db.QueryRow(ctx, `INSERT INTO relay_cursors (name, seq, lease_owner, lease_until) VALUES ($1, 0, $2, $3)
		ON CONFLICT (name) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
		WHERE relay_cursors.lease_owner = excluded.lease_owner OR relay_cursors.lease_until IS NULL
			OR relay_cursors.lease_until <= $4
		RETURNING seq`, name, owner, leaseUntil, now).Scan(&seq)
	if err = translate(err); errors.Is(err, payment.ErrNotFound) {
		return 0, false, nil // held by another owner
	}
	return seq, err == nil, err
}

// AdvanceRelay moves the cursor forward while owner holds the lease.
func (q *queries) AdvanceRelay(ctx context.Context, name, owner string, seq int64) error {
	n, err := q.exec(ctx, `UPDATE relay_cursors SET seq = GREATEST(seq, $1) WHERE name = $2 AND lease_owner = $3`,
		seq, name, owner)
	if err != nil || n > 0 {
		return err
	}
	var one int
	if err := q.db.QueryRow(ctx, `SELECT 1 FROM relay_cursors WHERE name = $1`, name).Scan(&one); err != nil {
		return translate(err)
	}
	return payment.ErrStale
}
