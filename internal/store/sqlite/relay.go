package sqlite

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
	err := q.db.QueryRowContext(ctx, `INSERT INTO relay_cursors (name, seq, lease_owner, lease_until) VALUES (?, 0, ?, ?)
		ON CONFLICT (name) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
		WHERE relay_cursors.lease_owner = excluded.lease_owner OR relay_cursors.lease_until IS NULL
			OR relay_cursors.lease_until <= ?
		RETURNING seq`, name, owner, micros(leaseUntil), micros(now)).Scan(&seq)
	if err = translate(err); errors.Is(err, payment.ErrNotFound) {
		return 0, false, nil // held by another owner
	}
	return seq, err == nil, err
}

// AdvanceRelay moves the cursor forward while owner holds the lease.
func (q *queries) AdvanceRelay(ctx context.Context, name, owner string, seq int64) error {
	n, err := q.exec(ctx, `UPDATE relay_cursors SET seq = max(seq, ?) WHERE name = ? AND lease_owner = ?`,
		seq, name, owner)
	if err != nil || n > 0 {
		return err
	}
	var one int
	if err := q.db.QueryRowContext(ctx, `SELECT 1 FROM relay_cursors WHERE name = ?`, name).Scan(&one); err != nil {
		return translate(err)
	}
	return payment.ErrStale
}
