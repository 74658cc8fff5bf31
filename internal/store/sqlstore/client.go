package sqlstore

import (
	"context"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const clientCols = `app_id, name, secret_sealed, prev_secret_sealed, prev_secret_until, notify_url,
	disabled, rate_limit, rate_burst, created_at, updated_at, webhook_secret_sealed,
	prev_webhook_secret_sealed, prev_webhook_secret_until`

var (
	stInsertClient = define("InsertMerchant", `INSERT INTO clients (`+clientCols+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	stGetClient    = define("GetMerchant", `SELECT `+clientCols+` FROM clients WHERE app_id = ?`)
	stUpdateClient = define("UpdateMerchant", `UPDATE clients SET name = ?, secret_sealed = ?,
		prev_secret_sealed = ?, prev_secret_until = ?, notify_url = ?, disabled = ?, rate_limit = ?,
		rate_burst = ?, updated_at = ?, webhook_secret_sealed = ?, prev_webhook_secret_sealed = ?,
		prev_webhook_secret_until = ?
		WHERE app_id = ?`)
	stListClients = define("ListMerchants", `SELECT `+clientCols+` FROM clients ORDER BY created_at, app_id`)
)

func scanClient(s scanner) (*payment.Merchant, error) {
	var c payment.Merchant
	err := s.Scan(&c.AppID, &c.Name, &c.SecretSealed, &c.PrevSecretSealed, tmNull(&c.PrevSecretUntil),
		&c.NotifyURL, &c.Disabled, &c.RateLimit, &c.RateBurst, tm(&c.CreatedAt), tm(&c.UpdatedAt),
		&c.WebhookSecretSealed, &c.PrevWebhookSecretSealed, tmNull(&c.PrevWebhookSecretUntil))
	return &c, err
}

// InsertMerchant adds a merchant client; ErrDuplicate when its app id is taken.
func (q *queries) InsertMerchant(ctx context.Context, c *payment.Merchant) error {
	_, err := q.exec(ctx, stInsertClient, c.AppID, c.Name, c.SecretSealed, c.PrevSecretSealed,
		c.PrevSecretUntil, c.NotifyURL, c.Disabled, c.RateLimit, c.RateBurst, c.CreatedAt, c.UpdatedAt,
		c.WebhookSecretSealed, c.PrevWebhookSecretSealed, c.PrevWebhookSecretUntil)
	return err
}

// GetMerchant returns the client with appID; ErrNotFound when there is none.
func (q *queries) GetMerchant(ctx context.Context, appID string) (*payment.Merchant, error) {
	return get(ctx, q, scanClient, stGetClient, appID)
}

// UpdateMerchant writes every field of c but its app id and creation time; ErrNotFound
// when there is no such client.
func (q *queries) UpdateMerchant(ctx context.Context, c *payment.Merchant) error {
	n, err := q.exec(ctx, stUpdateClient, c.Name, c.SecretSealed, c.PrevSecretSealed, c.PrevSecretUntil,
		c.NotifyURL, c.Disabled, c.RateLimit, c.RateBurst, c.UpdatedAt, c.WebhookSecretSealed,
		c.PrevWebhookSecretSealed, c.PrevWebhookSecretUntil, c.AppID)
	if err == nil && n == 0 {
		err = payment.ErrNotFound
	}
	return err
}

// ListMerchants returns every client, oldest first.
func (q *queries) ListMerchants(ctx context.Context) ([]*payment.Merchant, error) {
	return list(ctx, q, scanClient, stListClients)
}
