package postgres

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// UseNonce records (appID, nonce) until expiresAt in one statement: of two requests racing
// with the same nonce, the second waits on the first's row and then finds it taken.
// ErrDuplicate when the nonce is recorded and expires after now (a replay); an expired
// record is replaced.
func (q *queries) UseNonce(ctx context.Context, appID, nonce string, now, expiresAt time.Time) error {
	n, err := q.exec(ctx, `INSERT INTO nonces (app_id, nonce, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (app_id, nonce) DO UPDATE SET expires_at = excluded.expires_at
		WHERE nonces.expires_at <= $4`,
		appID, nonce, expiresAt, now)
	if err == nil && n == 0 {
		err = payment.ErrDuplicate
	}
	return err
}

// PurgeNonces deletes the nonces whose expiry is at or before now and returns how many.
func (q *queries) PurgeNonces(ctx context.Context, now time.Time) (int64, error) {
	return q.exec(ctx, `DELETE FROM nonces WHERE expires_at <= $1`, now)
}
