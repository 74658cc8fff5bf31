package sqlite

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// UseNonce records (appID, nonce) until expiresAt in one statement, so two requests
// racing with the same nonce cannot both pass. ErrDuplicate when the nonce is recorded
// and expires after now (a replay); an expired record is replaced.
func (q *queries) UseNonce(ctx context.Context, appID, nonce string, now, expiresAt time.Time) error {
	n, err := q.exec(ctx, `INSERT INTO nonces (app_id, nonce, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (app_id, nonce) DO UPDATE SET expires_at = excluded.expires_at
		WHERE nonces.expires_at <= ?`,
		appID, nonce, micros(expiresAt), micros(now))
	if err == nil && n == 0 {
		err = payment.ErrDuplicate
	}
	return err
}

// PurgeNonces deletes the nonces whose expiry is at or before now and returns how many.
func (q *queries) PurgeNonces(ctx context.Context, now time.Time) (int64, error) {
	return q.exec(ctx, `DELETE FROM nonces WHERE expires_at <= ?`, micros(now))
}
