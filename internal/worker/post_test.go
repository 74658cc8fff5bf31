package worker

import (
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestWebhookSecretRotation: webhooks are signed with the client's webhook secret, never
// its API secret; during a rotation's grace the header carries one v1= entry per secret,
// newest first, and a receiver holding either accepts; a rotation without grace revokes the
// old secret at the next delivery.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock})
	deliver := func(no string) hit {
		t.Helper()
		e.paidEvent(no)
		if n, err := d.runOnce(bg); n != 1 || err != nil {
			t.Fatalf("runOnce = %d, %v", n, err)
		}
		hits := e.recv.got()
		return hits[len(hits)-1]
	}
	verifies := func(h hit, secret string) bool {
		return client.VerifyWebhook(secret, h.Timestamp, h.Signature, h.Body, client.WithWebhookClock(clock.Now)) == nil
	}
	h := deliver("rot_1")
	if !verifies(h, e.webhookSecret) || verifies(h, e.secret) || strings.Count(h.Signature, "v1=") != 1 {
		t.Fatalf("before rotation: %q (webhook secret verifies %v, API secret %v)", h.Signature, verifies(h, e.webhookSecret), verifies(h, e.secret))
	}
	graced, err := e.svc.RotateWebhookSecret(bg, e.clientID, time.Hour)
	if err != nil || !strings.HasPrefix(graced, payment.WebhookSecretPrefix) {
		t.Fatalf("rotate: %q %v", graced, err)
	}
	h = deliver("rot_2")
	entries := strings.Split(h.Signature, ",")
	if len(entries) != 2 || entries[0] != "v1="+Sign([]byte(graced), h.Timestamp, h.Body) ||
		entries[1] != "v1="+Sign([]byte(e.webhookSecret), h.Timestamp, h.Body) || !verifies(h, graced) || !verifies(h, e.webhookSecret) {
		t.Fatalf("during the grace: %q", h.Signature)
	}
	clock.Add(time.Hour)
	if h = deliver("rot_3"); strings.Count(h.Signature, "v1=") != 1 || !verifies(h, graced) || verifies(h, e.webhookSecret) {
		t.Fatalf("after the grace: %q", h.Signature)
	}
	revoked, err := e.svc.RotateWebhookSecret(bg, e.clientID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h = deliver("rot_4"); strings.Count(h.Signature, "v1=") != 1 || !verifies(h, revoked) || verifies(h, graced) {
		t.Fatalf("after a rotation without grace: %q", h.Signature)
	}
	if _, err := e.svc.RotateWebhookSecret(bg, "app_nosuch", 0); payment.ErrorCode(err) != payment.CodeNotFound {
		t.Fatalf("rotate an unknown client: %v", err)
	}
}

// TestWebhookSecretIssuedToLegacyClient: a client from before webhook secrets (none
// stored) still gets signed webhooks, with a secret issued at the first delivery and kept;
// its API secret never signs them; a rotation hands the merchant a secret that verifies.
func TestWebhookSecretIssuedToLegacyClient(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	c, err := e.store.GetMerchant(bg, e.clientID)
	if err != nil {
		t.Fatal(err)
	}
	c.WebhookSecretSealed = ""
	if err := e.store.UpdateMerchant(bg, c); err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock})
	for _, no := range []string{"legacy_1", "legacy_2"} {
		e.paidEvent(no)
		if n, err := d.runOnce(bg); n != 1 || err != nil {
			t.Fatalf("runOnce = %d, %v", n, err)
		}
	}
	hits := e.recv.got()
	c, _ = e.store.GetMerchant(bg, e.clientID)
	issued, err := e.svc.WebhookSecrets(bg, e.clientID)
	if err != nil || c.WebhookSecretSealed == "" || len(issued) != 1 {
		t.Fatalf("no webhook secret issued: %v", err)
	}
	for _, h := range hits {
		if h.Signature != "v1="+Sign(issued[0], h.Timestamp, h.Body) || h.Signature == "v1="+Sign([]byte(e.secret), h.Timestamp, h.Body) {
			t.Fatalf("legacy client's webhook %q is not signed with the one issued secret", h.Signature)
		}
	}
	fresh, err := e.svc.RotateWebhookSecret(bg, e.clientID, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.paidEvent("legacy_3")
	if n, err := d.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce = %d, %v", n, err)
	}
	hits = e.recv.got()
	h := hits[len(hits)-1]
	if client.VerifyWebhook(fresh, h.Timestamp, h.Signature, h.Body, client.WithWebhookClock(clock.Now)) != nil {
		t.Fatalf("the rotated secret does not verify %q", h.Signature)
	}
}
