package postgres

import (
	"context"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const clientCols = `app_id, name, secret_sealed, prev_secret_sealed, prev_secret_until, notify_url,
	disabled, rate_limit, rate_burst, created_at, updated_at`

func scanClient(s scanner) (*payment.Client, error) {
	var c payment.Client
	err := s.Scan(&c.AppID, &c.Name, &c.SecretSealed, &c.PrevSecretSealed, &c.PrevSecretUntil, &c.NotifyURL,
		&c.Disabled, &c.RateLimit, &c.RateBurst, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, translate(err)
	}
	c.PrevSecretUntil = utcPtr(c.PrevSecretUntil)
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return &c, nil
}

// InsertClient adds a merchant client; ErrDuplicate when its app id is taken.
func (q *queries) InsertClient(ctx context.Context, c *payment.Client) error {
	_, err := q.exec(ctx, `INSERT INTO clients (`+clientCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
		c.AppID, c.Name, c.SecretSealed, c.PrevSecretSealed, c.PrevSecretUntil, c.NotifyURL,
		c.Disabled, c.RateLimit, c.RateBurst, c.CreatedAt, c.UpdatedAt)
	return err
}

// GetClient returns the client with appID; ErrNotFound when there is none.
func (q *queries) GetClient(ctx context.Context, appID string) (*payment.Client, error) {
	return scanClient(q.db.QueryRow(ctx, `SELECT `+clientCols+` FROM clients WHERE app_id = $1`, appID))
}

// UpdateClient writes every field of c but its app id and creation time; ErrNotFound
// when there is no such client.
func (q *queries) UpdateClient(ctx context.Context, c *payment.Client) error {
	n, err := q.exec(ctx, `UPDATE clients SET name = $1, secret_sealed = $2, prev_secret_sealed = $3,
		prev_secret_until = $4, notify_url = $5, disabled = $6, rate_limit = $7, rate_burst = $8, updated_at = $9
		WHERE app_id = $10`,
		c.Name, c.SecretSealed, c.PrevSecretSealed, c.PrevSecretUntil, c.NotifyURL,
		c.Disabled, c.RateLimit, c.RateBurst, c.UpdatedAt, c.AppID)
	if err == nil && n == 0 {
		err = payment.ErrNotFound
	}
	return err
}

// ListClients returns every client, oldest first.
func (q *queries) ListClients(ctx context.Context) ([]*payment.Client, error) {
	return list(ctx, q, scanClient, `SELECT `+clientCols+` FROM clients ORDER BY created_at, app_id`)
}
