package payment

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// NonceWindow is how long a request nonce is remembered (docs/api.md, Authentication: 15 minutes).
const NonceWindow = 15 * time.Minute

// CreateMerchant registers a merchant API client and returns it with its API secret, which is
// shown this once and stored only sealed. The client gets its webhook secret too;
// CreateMerchantWithSecrets returns both, for whoever shows them to the merchant.
// Errors: INVALID_PARAMETER (also for a notifyURL naming a non-public IP address, see
// docs/security.md).
func (s *Service) CreateMerchant(ctx context.Context, name, notifyURL string) (*Merchant, string, error) {
	c, secrets, err := s.CreateMerchantWithSecrets(ctx, name, notifyURL)
	return c, secrets.API, err
}

// Secrets are a client's secrets as issued, shown once and stored only sealed.
type Secrets struct {
	API     string // sk_…: signs the client's requests to the merchant API
	Webhook string // whsec_…: signs the webhooks the client receives, and nothing else
}

// CreateMerchantWithSecrets registers a merchant API client and returns it with its API
// secret and its webhook secret, separate so that a system that verifies webhooks cannot
// call the API (docs/security.md). Errors: INVALID_PARAMETER (also for a notifyURL naming a
// non-public IP address).
func (s *Service) CreateMerchantWithSecrets(ctx context.Context, name, notifyURL string) (*Merchant, Secrets, error) {
	if err := checkText("name", name, 1, 128); err != nil {
		return nil, Secrets{}, err
	}
	if notifyURL != "" {
		if err := s.checkWebhookTarget("notify_url", notifyURL); err != nil {
			return nil, Secrets{}, err
		}
	}
	secrets := Secrets{API: "sk_" + randomToken(40), Webhook: newWebhookSecret()}
	sealed, err := s.box.Seal([]byte(secrets.API))
	if err != nil {
		return nil, Secrets{}, err
	}
	whSealed, err := s.box.Seal([]byte(secrets.Webhook))
	if err != nil {
		return nil, Secrets{}, err
	}
	now := s.now()
	c := &Merchant{AppID: "app_" + strings.ToLower(randomToken(16)), Name: name, SecretSealed: sealed,
		WebhookSecretSealed: whSealed, NotifyURL: notifyURL, CreatedAt: now, UpdatedAt: now}
	if err := s.store.InsertMerchant(ctx, c); err != nil {
		return nil, Secrets{}, err
	}
	return c, secrets, nil
}

// RotateMerchant gives the client a new secret; the old one keeps verifying for grace.
// Errors: NOT_FOUND.
func (s *Service) RotateMerchant(ctx context.Context, appID string, grace time.Duration) (string, error) {
	secret := "sk_" + randomToken(40)
	sealed, err := s.box.Seal([]byte(secret))
	if err != nil {
		return "", err
	}
	err = s.updateMerchant(ctx, appID, func(c *Merchant, now time.Time) {
		until := now.Add(grace)
		c.PrevSecretSealed, c.PrevSecretUntil, c.SecretSealed = c.SecretSealed, &until, sealed
	})
	return secret, err
}

// SetMerchantDisabled disables or re-enables a client. Errors: NOT_FOUND.
func (s *Service) SetMerchantDisabled(ctx context.Context, appID string, disabled bool) error {
	return s.updateMerchant(ctx, appID, func(c *Merchant, _ time.Time) { c.Disabled = disabled })
}

// updateMerchant changes the client in a transaction and, once it committed, drops the
// client from the cache, so that this instance's next request sees the change.
func (s *Service) updateMerchant(ctx context.Context, appID string, fn func(*Merchant, time.Time)) error {
	defer s.merchants.forget(appID) // also after a failed commit: whatever the store now holds is read again
	return s.tx(ctx, func(q Queries) error {
		c, err := q.GetMerchant(ctx, appID)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeNotFound, "client %s not found", appID)
		} else if err != nil {
			return err
		}
		now := s.now()
		fn(c, now)
		c.UpdatedAt = now
		return q.UpdateMerchant(ctx, c)
	})
}

// MerchantSecrets returns the enabled client and the secrets that currently verify its
// requests (the current one first, then one still in its rotation grace period). It
// answers from memory for up to Config.MerchantCacheTTL (merchantcache.go); a rotation or
// a disabling made through this Service is seen by the next call. The client returned is
// the caller's own copy. Errors: UNAUTHORIZED for an unknown or disabled client.
func (s *Service) MerchantSecrets(ctx context.Context, appID string) (*Merchant, [][]byte, error) {
	now := s.now()
	e, gen := s.merchants.get(appID, now)
	if e == nil {
		var err error
		if e, err = s.loadMerchant(ctx, appID, now); err != nil {
			return nil, nil, err
		}
		s.merchants.put(e, gen)
	}
	if e.m.Disabled {
		return nil, nil, Errorf(CodeUnauthorized, "unknown or disabled app id")
	}
	m := e.m
	return &m, e.secrets(now), nil
}

// loadMerchant reads the client and opens its API secrets. Errors: UNAUTHORIZED for an
// unknown client.
func (s *Service) loadMerchant(ctx context.Context, appID string, now time.Time) (*merchantEntry, error) {
	c, err := s.store.GetMerchant(ctx, appID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeUnauthorized, "unknown or disabled app id")
	} else if err != nil {
		return nil, err
	}
	e := &merchantEntry{m: *c, loaded: now}
	if c.Disabled { // kept, so that a disabled client's requests cost no read either; no secret opened
		return e, nil
	}
	if e.cur, err = s.box.Open(c.SecretSealed); err != nil {
		return nil, err
	}
	if c.PrevSecretSealed != "" && c.PrevSecretUntil != nil && now.Before(*c.PrevSecretUntil) {
		if prev, err := s.box.Open(c.PrevSecretSealed); err == nil {
			e.prev, e.prevUntil = prev, c.PrevSecretUntil
		}
	}
	return e, nil
}

// NonceStore remembers request nonces (docs/api.md, Authentication). The Store is one; a store shared by
// every instance (Redis) replaces it when several instances serve the API.
type NonceStore interface {
	// UseNonce records (appID, nonce) until expiresAt; ErrDuplicate when it is recorded and
	// not yet expired (a replay). Any other error means the store could not decide.
	UseNonce(ctx context.Context, appID, nonce string, now, expiresAt time.Time) error
}

// SetNonceStore makes the service remember nonces in n instead of its Store. Call it
// before serving.
func (s *Service) SetNonceStore(n NonceStore) { s.nonces = n }

// UseNonce remembers a request nonce for NonceWindow. Errors: UNAUTHORIZED on a replay;
// UPSTREAM_UNAVAILABLE (503, safe to repeat) when the nonce store cannot decide, because a
// request whose replay cannot be ruled out must not pass.
func (s *Service) UseNonce(ctx context.Context, appID, nonce string) error {
	now := s.now()
	err := s.nonces.UseNonce(ctx, appID, nonce, now, now.Add(NonceWindow))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrDuplicate):
		return Errorf(CodeUnauthorized, "nonce already used")
	}
	s.log.ErrorContext(ctx, "nonce store unavailable; request refused", slog.String("app_id", appID), slog.Any("err", err))
	return Errorf(CodeUpstreamUnavailable, "replay protection is unavailable; retry later")
}

// Events lists the client's events after the cursor (an event Seq), oldest first.
// Errors: INVALID_PARAMETER.
func (s *Service) Events(ctx context.Context, clientID string, after int64, limit int) ([]*Event, error) {
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 || after < 0 {
		return nil, Errorf(CodeInvalidParameter, "limit must be between 1 and 200 and after not negative")
	}
	return s.store.ListEvents(ctx, clientID, after, limit)
}
