package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultWebhookTolerance is how far a webhook's X-F2FPay-Timestamp may be from the
// receiver's clock by default: older deliveries are refused as possible replays.
const DefaultWebhookTolerance = 5 * time.Minute

// Errors of VerifyWebhook; compare with errors.Is.
var (
	// ErrWebhookSignature: no v1= entry of X-F2FPay-Signature is the body's signature under
	// the secret (a forgery, a changed body, or the wrong secret, such as the API secret).
	ErrWebhookSignature = errors.New("f2fpay webhook: no signature matches the webhook secret")
	// ErrWebhookTimestamp: the signature matches but the timestamp is malformed or further
	// from now than the tolerance (a replay, or a clock that is off).
	ErrWebhookTimestamp = errors.New("f2fpay webhook: timestamp outside the tolerance")
)

// WebhookOption tunes VerifyWebhook.
type WebhookOption func(*webhookCheck)

type webhookCheck struct {
	tolerance time.Duration
	now       func() time.Time
}

// WithTolerance sets how far the timestamp may be from now (default
// DefaultWebhookTolerance); d <= 0 skips the check, for verifying a stored delivery.
func WithTolerance(d time.Duration) WebhookOption {
	return func(c *webhookCheck) { c.tolerance = d }
}

// WithWebhookClock makes VerifyWebhook read the time from now instead of time.Now.
func WithWebhookClock(now func() time.Time) WebhookOption {
	return func(c *webhookCheck) { c.now = now }
}

// VerifyWebhook checks a webhook (docs/api.md, "Webhooks"): signature is its
// X-F2FPay-Signature header, one or more comma-separated "v1=<hex>" entries (one per
// secret that signs while a rotation's grace runs); timestamp is X-F2FPay-Timestamp; body
// the exact bytes received; secret the client's webhook secret (whsec_…), not its API
// secret. It returns nil when an entry is lowercase hex HMAC-SHA256(secret, timestamp + "."
// + body), compared in constant time, and the timestamp is within the tolerance of now.
// Errors: ErrWebhookSignature, ErrWebhookTimestamp. Deduplicate accepted webhooks by
// X-F2FPay-Event-Id: delivery is at least once.
func VerifyWebhook(secret, timestamp, signature string, body []byte, opts ...WebhookOption) error {
	c := webhookCheck{tolerance: DefaultWebhookTolerance, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if secret == "" || timestamp == "" || !matchesAny(secret, timestamp, signature, body) {
		return ErrWebhookSignature
	}
	if strings.Trim(timestamp, "0123456789") != "" {
		return fmt.Errorf("%w: %q is not Unix seconds", ErrWebhookTimestamp, timestamp)
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not Unix seconds", ErrWebhookTimestamp, timestamp)
	}
	if age := c.now().Sub(time.Unix(sec, 0)); c.tolerance > 0 && age.Abs() > c.tolerance {
		return fmt.Errorf("%w: sent %v from now, tolerance %v", ErrWebhookTimestamp, age.Round(time.Second), c.tolerance)
	}
	return nil
}

// matchesAny reports whether one v1= entry of header signs timestamp.body under secret.
func matchesAny(secret, timestamp, header string, body []byte) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	want := []byte(hex.EncodeToString(mac.Sum(nil)))
	ok := false
	for _, entry := range strings.Split(header, ",") {
		if sig, found := strings.CutPrefix(strings.TrimSpace(entry), "v1="); found {
			ok = hmac.Equal(want, []byte(strings.ToLower(sig))) || ok
		}
	}
	return ok
}
