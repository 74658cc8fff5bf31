package attack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/f2fpay/f2fpay/internal/worker"
)

// webhookSecretAttacks: webhooks are signed with a secret of their own (docs/security.md,
// "Webhooks to the merchant"), so what a webhook receiver holds cannot call the API, a
// webhook signed with the API secret is refused, and a leaked webhook secret revoked
// without grace verifies nothing after.
func webhookSecretAttacks() []attack {
	return []attack{
		{name: "request signed with the webhook secret (what a webhook receiver holds)", target: "merchant",
			expect: "401 UNAUTHORIZED", run: func(w *world) string {
				return w.merchant(mreq{method: http.MethodGet, path: pathList, query: "limit=1", signSecret: w.p.state.WebhookSecret})
			}},
		{name: "webhook re-signed with the API secret, checked by client.VerifyWebhook", target: "webhook",
			expect: "genuine accepted; API-secret signature refused (no signature matches)", run: apiSignedWebhook},
		{name: "leaked webhook secret revoked without grace, event resent", target: "webhook",
			expect: "old secret: no signature matches; new secret: accepted", run: revokedWebhookSecret},
	}
}

// capture is a webhook receiver that keeps what it got.
type capture struct {
	mu   sync.Mutex
	got  []http.Header
	body [][]byte
}

func (c *capture) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got, c.body = append(c.got, r.Header.Clone()), append(c.body, b)
}

// nth returns the timestamp, signature header and body of the n-th webhook (from 1).
func (c *capture) nth(n int) (ts, sig string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got[n-1].Get("X-F2FPay-Timestamp"), c.got[n-1].Get("X-F2FPay-Signature"), c.body[n-1]
}

func (c *capture) count() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.got) }

// verdict names VerifyWebhook's answer.
func verdict(err error) string {
	switch {
	case err == nil:
		return "accepted"
	case errors.Is(err, client.ErrWebhookSignature):
		return "no signature matches"
	case errors.Is(err, client.ErrWebhookTimestamp):
		return "stale"
	}
	return err.Error()
}

func loopbackHook(w *world, recv *capture) *hookEnv {
	cfg := payment.Config{WebhookAllowNetworks: payment.LoopbackNetworks()}
	return newHookEnv(w.t, cfg, recv, func(port string) string { return "http://127.0.0.1:" + port + "/hook" })
}

// apiSignedWebhook delivers a real webhook, then forges its signature with the client's
// API secret, as a gateway signing with the wrong secret (or someone holding the API
// secret) would.
func apiSignedWebhook(w *world) string {
	recv := &capture{}
	h := loopbackHook(w, recv)
	h.deliver(w.t, worker.DispatcherConfig{AllowNetworks: payment.LoopbackNetworks()})
	ts, sig, body := recv.nth(1)
	genuine := client.VerifyWebhook(h.secrets.Webhook, ts, sig, body)
	forged := "v1=" + worker.Sign([]byte(h.secrets.API), ts, body)
	err := client.VerifyWebhook(h.secrets.Webhook, ts, forged, body)
	w.t.Logf("webhook: genuine %q %s; re-signed with the API secret %s; the genuine one checked with the API secret: %s",
		sig, verdict(genuine), verdict(err), verdict(client.VerifyWebhook(h.secrets.API, ts, sig, body)))
	return fmt.Sprintf("genuine %s; API-secret signature refused (%s)", verdict(genuine), verdict(err))
}

// revokedWebhookSecret: the operator rotates a leaked webhook secret with no grace (the
// console's "revoke now"); the event resent afterwards verifies only with the new secret.
func revokedWebhookSecret(w *world) string {
	recv := &capture{}
	h := loopbackHook(w, recv)
	cfg := worker.DispatcherConfig{AllowNetworks: payment.LoopbackNetworks()}
	h.deliver(w.t, cfg)
	ctx := context.Background()
	fresh, err := h.env.Service.RotateWebhookSecret(ctx, h.clientID, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := h.env.Service.ResendEvent(ctx, h.clientID, h.eventID); err != nil {
		w.t.Fatal(err)
	}
	d := worker.NewDispatcher(h.env.Service, cfg)
	d.Start(ctx)
	testutil.WaitFor(w.t, 0, "the resent webhook", func() bool { return recv.count() >= 2 })
	d.Stop()
	ts, sig, body := recv.nth(2)
	old, cur := client.VerifyWebhook(h.secrets.Webhook, ts, sig, body), client.VerifyWebhook(fresh, ts, sig, body)
	w.t.Logf("after revoking the webhook secret: %d v1= entries in %q; old secret %s, new %s",
		strings.Count(sig, "v1="), sig, verdict(old), verdict(cur))
	return fmt.Sprintf("old secret: %s; new secret: %s", verdict(old), verdict(cur))
}
