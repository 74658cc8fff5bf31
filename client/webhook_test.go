package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// Signatures computed with openssl: printf '%s' '1700000000.{"id":"evt_1"}' | openssl dgst
// -sha256 -hmac SECRET.
const (
	sigNew = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925" // whsec_test
	sigOld = "ef1b1b7e4b312671a75ef2a03e10529f7834a6528a49db77ad6568c8c8017843" // whsec_old
	sigAPI = "037203a68b016cbde660b1b837fdd8db15ae142413777fba9acc323078e427fa" // sk_test, the API secret
)

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_1"}`)
	sent := time.Unix(1700000000, 0)
	at := func(d time.Duration) client.WebhookOption {
		return client.WithWebhookClock(func() time.Time { return sent.Add(d) })
	}
	for name, tc := range map[string]struct {
		secret, ts, header string
		body               []byte
		opts               []client.WebhookOption
		want               error
	}{
		"one entry":                   {"whsec_test", "1700000000", "v1=" + sigNew, body, []client.WebhookOption{at(0)}, nil},
		"grace: new secret":           {"whsec_test", "1700000000", "v1=" + sigNew + ",v1=" + sigOld, body, []client.WebhookOption{at(time.Minute)}, nil},
		"grace: old secret":           {"whsec_old", "1700000000", "v1=" + sigNew + ",v1=" + sigOld, body, []client.WebhookOption{at(-time.Minute)}, nil},
		"spaces and upper case":       {"whsec_old", "1700000000", "v1=" + sigNew + ", v1=" + upper(sigOld), body, []client.WebhookOption{at(0)}, nil},
		"unknown scheme ignored":      {"whsec_test", "1700000000", "v2=zz,v1=" + sigNew, body, []client.WebhookOption{at(0)}, nil},
		"4m59s old":                   {"whsec_test", "1700000000", "v1=" + sigNew, body, []client.WebhookOption{at(5*time.Minute - time.Second)}, nil},
		"5m01s old":                   {"whsec_test", "1700000000", "v1=" + sigNew, body, []client.WebhookOption{at(5*time.Minute + time.Second)}, client.ErrWebhookTimestamp},
		"5m01s ahead":                 {"whsec_test", "1700000000", "v1=" + sigNew, body, []client.WebhookOption{at(-5*time.Minute - time.Second)}, client.ErrWebhookTimestamp},
		"tolerance option":            {"whsec_test", "1700000000", "v1=" + sigNew, body, []client.WebhookOption{at(time.Minute), client.WithTolerance(30 * time.Second)}, client.ErrWebhookTimestamp},
		"no tolerance: stored":        {"whsec_test", "1700000000", "v1=" + sigNew, body, []client.WebhookOption{at(48 * time.Hour), client.WithTolerance(0)}, nil},
		"real clock: a 2023 delivery": {"whsec_test", "1700000000", "v1=" + sigNew, body, nil, client.ErrWebhookTimestamp},
		"signed with the API secret":  {"whsec_test", "1700000000", "v1=" + sigAPI, body, []client.WebhookOption{at(0)}, client.ErrWebhookSignature},
		"API secret as the key":       {"sk_test", "1700000000", "v1=" + sigNew, body, []client.WebhookOption{at(0)}, client.ErrWebhookSignature},
		"bare hex, no v1=":            {"whsec_test", "1700000000", sigNew, body, []client.WebhookOption{at(0)}, client.ErrWebhookSignature},
		"other timestamp":             {"whsec_test", "1700000001", "v1=" + sigNew, body, []client.WebhookOption{at(0)}, client.ErrWebhookSignature},
		"other body":                  {"whsec_test", "1700000000", "v1=" + sigNew, []byte(`{"id":"evt_2"}`), []client.WebhookOption{at(0)}, client.ErrWebhookSignature},
		"empty header":                {"whsec_test", "1700000000", "", body, []client.WebhookOption{at(0)}, client.ErrWebhookSignature},
		"truncated":                   {"whsec_test", "1700000000", "v1=" + sigNew[:63], body, []client.WebhookOption{at(0)}, client.ErrWebhookSignature},
		"empty secret":                {"", "1700000000", "v1=" + sigNew, body, []client.WebhookOption{at(0)}, client.ErrWebhookSignature},
	} {
		err := client.VerifyWebhook(tc.secret, tc.ts, tc.header, tc.body, tc.opts...)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
