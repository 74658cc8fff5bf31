package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	secretValue        = regexp.MustCompile(`id="secret-value">(sk_[^<]+)<`)
	webhookSecretValue = regexp.MustCompile(`id="webhook-secret-value">(whsec_[^<]+)<`)
)

// TestConsoleSecrets: creating a client shows its API and webhook secrets once; the webhook
// secret rotates alone, with the default grace (both sign) or with none (the old one is
// revoked at once), and so does the API secret; an unknown grace changes nothing.
func TestConsoleSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	csrf := login(t, b, hc)
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf", csrf)
		resp, err := hc.PostForm(b.url+path, form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, html.UnescapeString(string(body))
	}
	code, page := post("/admin/clients", url.Values{"name": {"kiosk 9"}})
	api, wh := secretValue.FindStringSubmatch(page), webhookSecretValue.FindStringSubmatch(page)
	app := regexp.MustCompile(`app id <code>(app_[a-z0-9]+)</code>`).FindStringSubmatch(page)
	if code != http.StatusOK || api == nil || wh == nil || app == nil {
		t.Fatalf("create: %d, secrets shown: %v %v", code, api != nil, wh != nil)
	}
	appID := app[1]
	webhookSecrets := func() []string {
		raw, err := b.svc.WebhookSecrets(t.Context(), appID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range raw {
			out = append(out, string(s))
		}
		return out
	}
	if got := webhookSecrets(); len(got) != 1 || got[0] != wh[1] {
		t.Fatal("the webhook secret shown is not the one stored")
	}
	if listed := html.UnescapeString(get(t, hc, b.url+"/admin/clients", http.StatusOK)); strings.Contains(listed, wh[1]) || strings.Contains(listed, api[1]) {
		t.Fatal("the clients page shows a secret again")
	}

	code, page = post("/admin/clients/"+appID+"/rotate-webhook", url.Values{"grace": {"default"}})
	graced := webhookSecretValue.FindStringSubmatch(page)
	if code != http.StatusOK || graced == nil || secretValue.MatchString(page) || !strings.Contains(page, "keeps working for 24 hours") {
		t.Fatalf("rotate webhook secret: %d", code)
	}
	if got := webhookSecrets(); len(got) != 2 || got[0] != graced[1] || got[1] != wh[1] {
		t.Fatalf("during the grace: %d webhook secrets, want the new then the old", len(got))
	}
	if !strings.Contains(get(t, hc, b.url+"/admin/clients", http.StatusOK), "old webhook secret signs until grace ends") {
		t.Error("the clients page does not show the webhook rotation")
	}
	code, page = post("/admin/clients/"+appID+"/rotate-webhook", url.Values{"grace": {"none"}})
	revoked := webhookSecretValue.FindStringSubmatch(page)
	if code != http.StatusOK || revoked == nil || !strings.Contains(page, "revoked now") {
		t.Fatalf("revoke webhook secret: %d", code)
	}
	if got := webhookSecrets(); len(got) != 1 || got[0] != revoked[1] {
		t.Fatalf("after revoking: %d webhook secrets, want only the newest", len(got))
	}

	code, page = post("/admin/clients/"+appID+"/rotate", url.Values{"grace": {"none"}})
	newAPI := secretValue.FindStringSubmatch(page)
	if code != http.StatusOK || newAPI == nil || webhookSecretValue.MatchString(page) {
		t.Fatalf("revoke API secret: %d", code)
	}
	if _, secrets, err := b.svc.MerchantSecrets(t.Context(), appID); err != nil || len(secrets) != 1 || string(secrets[0]) != newAPI[1] {
		t.Fatalf("after revoking the API secret: %d secrets (%v)", len(secrets), err)
	}
	if got := webhookSecrets(); len(got) != 1 || got[0] != revoked[1] {
		t.Fatal("rotating the API secret changed the webhook secret")
	}

	if code, _ = post("/admin/clients/"+appID+"/rotate-webhook", url.Values{"grace": {"1h"}}); code != http.StatusBadRequest {
		t.Fatalf("unknown grace: %d, want 400", code)
	}
	if got := webhookSecrets(); len(got) != 1 || got[0] != revoked[1] {
		t.Fatal("a refused rotation changed the webhook secret")
	}
	if code, _ = post("/admin/clients/app_nosuch/rotate-webhook", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("unknown client: %d, want 404", code)
	}
	resp := postForm(t, hc, b.url+"/admin/clients/"+appID+"/rotate-webhook", url.Values{"grace": {"none"}})
	resp.Body.Close()
	if got := webhookSecrets(); resp.StatusCode != http.StatusForbidden || got[0] != revoked[1] {
		t.Fatalf("rotate without CSRF token: %d", resp.StatusCode)
	}
}
