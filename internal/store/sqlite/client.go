package sqlite

import (
	"context"
	"database/sql"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const clientCols = `app_id, name, secret_sealed, prev_secret_sealed, prev_secret_until, notify_url,
	disabled, rate_limit, rate_burst, created_at, updated_at`

func scanClient(s scanner) (*payment.Client, error) {
	var c payment.Client
	var prevUntil sql.NullInt64
	var created, updated int64
	err := s.Scan(&c.AppID, &c.Name, &c.SecretSealed, &c.PrevSecretSealed, &prevUntil, &c.NotifyURL,
		&c.Disabled, &c.RateLimit, &c.RateBurst, &created, &updated)
	if err != nil {
		return nil, translate(err)
	}
	c.PrevSecretUntil = timePtr(prevUntil)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// InsertClient adds a merchant client; ErrDuplicate when its app id is taken.
func (q *queries) InsertClient(ctx context.Context, c *payment.Client) error {
	_, err := q.exec(ctx, `INSERT INTO clients (`+clientCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		c.AppID, c.Name, c.SecretSealed, c.PrevSecretSealed, nullMicros(c.PrevSecretUntil), c.NotifyURL,
		c.Disabled, c.RateLimit, c.RateBurst, micros(c.CreatedAt), micros(c.UpdatedAt))
	return err
}

// GetClient returns the client with appID; ErrNotFound when there is none.
func (q *queries) GetClient(ctx context.Context, appID string) (*payment.Client, error) {
	return scanClient(q.db.QueryRowContext(ctx, `SELECT `+clientCols+` FROM clients WHERE app_id = ?`, appID))
}

// UpdateClient writes every field of c but its app id and creation time; ErrNotFound
// when there is no such client.
func (q *queries) UpdateClient(ctx context.Context, c *payment.Client) error {
	n, err := q.exec(ctx, `UPDATE clients SET name = ?, secret_sealed = ?, prev_secret_sealed = ?,
		prev_secret_until = ?, notify_url = ?, disabled = ?, rate_limit = ?, rate_burst = ?, updated_at = ?
		WHERE app_id = ?`,
		c.Name, c.SecretSealed, c.PrevSecretSealed, nullMicros(c.PrevSecretUntil), c.NotifyURL,
		c.Disabled, c.RateLimit, c.RateBurst, micros(c.UpdatedAt), c.AppID)
	if err == nil && n == 0 {
		err = payment.ErrNotFound
	}
	return err
}

// ListClients returns every client, oldest first.
func (q *queries) ListClients(ctx context.Context) ([]*payment.Client, error) {
	return list(ctx, q, scanClient, `SELECT `+clientCols+` FROM clients ORDER BY created_at, app_id`)
}
