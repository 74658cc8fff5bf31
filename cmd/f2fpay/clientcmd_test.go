package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

// clientCmd runs `f2fpay client args... --data-dir dir` and returns its exit code and output.
func clientCmd(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append(append([]string{"client"}, args...), "--data-dir", dir), &out, &errOut)
	return code, out.String() + errOut.String()
}

// TestClientLifecycle: create prints the secret once; list never does; rotate keeps the
// old secret verifying for --grace (and not with --grace 0); disable refuses the client.
func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := secretbox.LoadOrCreateKeyFile(filepath.Join(dir, "master.key")); err != nil {
		t.Fatal(err)
	}
	code, out := clientCmd(t, dir, "create", "--name", "kiosk-7")
	m := regexp.MustCompile(`app id: (\S+)\nsecret: (\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("create: %d %s", code, out)
	}
	appID, first := m[1], m[2]
	secrets := func() ([]string, error) {
		st, svc, err := storeFlags{config: new(string), database: new(string), dataDir: &dir}.open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, raw, err := svc.MerchantSecrets(context.Background(), appID)
		var got []string
		for _, s := range raw {
			got = append(got, string(s))
		}
		return got, err
	}
	code, out = clientCmd(t, dir, "rotate", "--app-id", appID, "--grace", "1h")
	m = regexp.MustCompile(`new secret: (\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil || m[1] == first {
		t.Fatalf("rotate: %d %s", code, out)
	}
	second := m[1]
	if got, err := secrets(); err != nil || len(got) != 2 || got[0] != second || got[1] != first {
		t.Fatalf("after rotate with grace: %d secrets, err %v; want new then old", len(got), err)
	}
	code, out = clientCmd(t, dir, "list")
	if code != 0 || !strings.Contains(out, "rotating until") || strings.Contains(out, first) || strings.Contains(out, second) {
		t.Fatalf("list: %d %s", code, out)
	}
	code, out = clientCmd(t, dir, "rotate", "--app-id", appID, "--grace", "0s")
	m = regexp.MustCompile(`new secret: (\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("rotate --grace 0: %d %s", code, out)
	}
	if got, err := secrets(); err != nil || len(got) != 1 || got[0] != m[1] {
		t.Fatalf("after rotate without grace: %d secrets, err %v; want only the newest", len(got), err)
	}
	if code, out = clientCmd(t, dir, "disable", "--app-id", appID); code != 0 {
		t.Fatalf("disable: %d %s", code, out)
	}
	if _, err := secrets(); payment.ErrorCode(err) != payment.CodeUnauthorized {
		t.Fatalf("disabled client: err %v, want UNAUTHORIZED", err)
	}
	if code, out = clientCmd(t, dir, "list"); !strings.Contains(out, "disabled") {
		t.Fatalf("list after disable: %d %s", code, out)
	}
	if code, out = clientCmd(t, dir, "enable", "--app-id", appID); code != 0 {
		t.Fatalf("enable: %d %s", code, out)
	}
	if _, err := secrets(); err != nil {
		t.Fatalf("re-enabled client: %v", err)
	}
	for _, bad := range [][]string{{"rotate"}, {"rotate", "--app-id", "app_nope"}, {"disable"}, {"rotate", "--app-id", appID, "--grace", "-1h"}, {"frobnicate"}} {
		if code, out := clientCmd(t, dir, bad...); code == 0 {
			t.Errorf("client %v succeeded: %s", bad, out)
		}
	}
}

// TestClientWebhookSecret: create prints a webhook secret apart from the API secret;
// rotate --webhook rotates it alone (both sign during --grace, the newest first; --grace 0
// revokes the old one); a client from before webhook secrets is listed as having none and
// gets one, shown once, from rotate --webhook.
func TestClientWebhookSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := secretbox.LoadOrCreateKeyFile(filepath.Join(dir, "master.key")); err != nil {
		t.Fatal(err)
	}
	code, out := clientCmd(t, dir, "create", "--name", "locker-2")
	m := regexp.MustCompile(`app id: (\S+)\nsecret: (sk_\S+)\nwebhook secret: (whsec_\S+)\n`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("create: %d %s", code, out)
	}
	appID, apiSecret, first := m[1], m[2], m[3]
	open := func(f func(payment.Store, *payment.Service)) {
		st, svc, err := storeFlags{config: new(string), database: new(string), dataDir: &dir}.open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		f(st, svc)
	}
	secrets := func() (webhook []string, api string) {
		open(func(_ payment.Store, svc *payment.Service) {
			raw, err := svc.WebhookSecrets(context.Background(), appID)
			_, apis, err2 := svc.MerchantSecrets(context.Background(), appID)
			if err != nil || err2 != nil {
				t.Fatal(err, err2)
			}
			for _, s := range raw {
				webhook = append(webhook, string(s))
			}
			api = string(apis[0])
		})
		return webhook, api
	}
	rotate := func(grace string) string {
		code, out := clientCmd(t, dir, "rotate", "--webhook", "--app-id", appID, "--grace", grace)
		m := regexp.MustCompile(`new webhook secret: (whsec_\S+)`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("rotate --webhook --grace %s: %d %s", grace, code, out)
		}
		return m[1]
	}
	second := rotate("1h")
	if wh, api := secrets(); len(wh) != 2 || wh[0] != second || wh[1] != first || api != apiSecret {
		t.Fatalf("after rotate --webhook with grace: %d webhook secrets, API secret kept %v", len(wh), api == apiSecret)
	}
	if code, out = clientCmd(t, dir, "list"); code != 0 || !strings.Contains(out, "webhook secret rotating until") || strings.Contains(out, second) {
		t.Fatalf("list: %d %s", code, out)
	}
	third := rotate("0s")
	if wh, _ := secrets(); len(wh) != 1 || wh[0] != third {
		t.Fatalf("after rotate --webhook --grace 0: %v", len(wh))
	}
	open(func(st payment.Store, _ *payment.Service) { // as a client made before webhook secrets
		c, err := st.GetMerchant(context.Background(), appID)
		if err == nil {
			c.WebhookSecretSealed = ""
			err = st.UpdateMerchant(context.Background(), c)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	if code, out = clientCmd(t, dir, "list"); !strings.Contains(out, "no webhook secret yet") {
		t.Fatalf("list of a legacy client: %d %s", code, out)
	}
	fourth := rotate("24h")
	if wh, _ := secrets(); len(wh) != 1 || wh[0] != fourth {
		t.Fatalf("a legacy client's first webhook secret: %d secrets", len(wh))
	}
}
