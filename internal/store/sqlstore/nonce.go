package sqlstore

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

var (
	stUseNonce = define("UseNonce", `INSERT INTO nonces (app_id, nonce, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (app_id, nonce) DO UPDATE SET expires_at = excluded.expires_at
		WHERE nonces.expires_at <= ?`)
	stPurgeNonces = define("PurgeNonces", `DELETE FROM nonces WHERE expires_at <= ?`)
)

// UseNonce records (appID, nonce) until expiresAt in one statement, so that of two
// requests racing with the same nonce only one passes (SQLite's writer lock, or
// PostgreSQL's wait on the first one's row). ErrDuplicate when the nonce is recorded and
// expires after now (a replay); an expired record is replaced.
func (q *queries) UseNonce(ctx context.Context, appID, nonce string, now, expiresAt time.Time) error {
	n, err := q.exec(ctx, stUseNonce, appID, nonce, expiresAt, now)
	if err == nil && n == 0 {
		err = payment.ErrDuplicate
	}
	return err
}

// PurgeNonces deletes the nonces whose expiry is at or before now and returns how many.
func (q *queries) PurgeNonces(ctx context.Context, now time.Time) (int64, error) {
	return q.exec(ctx, stPurgeNonces, now)
}
