package payment

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// WebhookSecretPrefix starts every webhook secret, so that nobody mistakes it for an API
// secret (sk_…).
const WebhookSecretPrefix = "whsec_"

func newWebhookSecret() string { return WebhookSecretPrefix + randomToken(40) }

// RotateWebhookSecret gives the client a new webhook secret and returns it, to be shown
// this once. For grace, the previous one keeps signing every webhook too (a second v1=
// entry of X-F2FPay-Signature), so that the merchant can switch its receiver without
// refusing one; a grace of 0 revokes it at once (a leaked secret). Errors: NOT_FOUND.
func (s *Service) RotateWebhookSecret(ctx context.Context, appID string, grace time.Duration) (string, error) {
	secret := newWebhookSecret()
	sealed, err := s.box.Seal([]byte(secret))
	if err != nil {
		return "", err
	}
	err = s.updateMerchant(ctx, appID, func(c *Merchant, now time.Time) {
		c.PrevWebhookSecretSealed, c.PrevWebhookSecretUntil = "", nil
		if grace > 0 && c.WebhookSecretSealed != "" {
			until := now.Add(grace)
			c.PrevWebhookSecretSealed, c.PrevWebhookSecretUntil = c.WebhookSecretSealed, &until
		}
		c.WebhookSecretSealed = sealed
	})
	return secret, err
}

// WebhookSecrets returns the secrets that sign the client's webhooks, newest first: its
// webhook secret and, while a rotation's grace runs, the previous one. A client created
// before webhook secrets existed is given one now (docs/decisions.md, "Webhook secrets"):
// nobody has seen it, so the operator rotates it to hand one to the merchant. Errors:
// NOT_FOUND for an unknown client.
func (s *Service) WebhookSecrets(ctx context.Context, appID string) ([][]byte, error) {
	c, err := s.store.GetMerchant(ctx, appID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "client %s not found", appID)
	} else if err != nil {
		return nil, err
	}
	return s.webhookSecretsOf(ctx, c)
}

func (s *Service) webhookSecretsOf(ctx context.Context, c *Merchant) ([][]byte, error) {
	if c.WebhookSecretSealed == "" {
		var err error
		if c, err = s.issueFirstWebhookSecret(ctx, c.AppID); err != nil {
			return nil, err
		}
	}
	cur, err := s.box.Open(c.WebhookSecretSealed)
	if err != nil {
		return nil, err
	}
	secrets := [][]byte{cur}
	if c.PrevWebhookSecretSealed != "" && c.PrevWebhookSecretUntil != nil && s.now().Before(*c.PrevWebhookSecretUntil) {
		if prev, err := s.box.Open(c.PrevWebhookSecretSealed); err == nil {
			secrets = append(secrets, prev)
		}
	}
	return secrets, nil
}

// issueFirstWebhookSecret gives a client without a webhook secret its first one, unless
// another instance just did, and returns the client as it then is.
func (s *Service) issueFirstWebhookSecret(ctx context.Context, appID string) (*Merchant, error) {
	sealed, err := s.box.Seal([]byte(newWebhookSecret()))
	if err != nil {
		return nil, err
	}
	var out *Merchant
	err = s.updateMerchant(ctx, appID, func(c *Merchant, _ time.Time) {
		if c.WebhookSecretSealed == "" {
			c.WebhookSecretSealed = sealed
			s.log.Warn("client had no webhook secret (created before webhook secrets); one was issued: "+
				"rotate it (f2fpay client rotate --webhook, or the console) to give it to the merchant",
				slog.String("app_id", appID))
		}
		out = c
	})
	return out, err
}
