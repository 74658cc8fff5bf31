package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// 10 s past the window's edge, taken once: the cases run later on a loaded machine, and
	// the edge itself is tested with a pinned clock (TestAuthAcceptsEdgeOfWindowAndQueryForms).
	now := time.Now().Unix()
	get := func(r rawRequest) rawRequest {
		r.method, r.path = http.MethodGet, "/api/v1/payment/list"
		return r
	}
	del := func(name string) func(http.Header) { return func(h http.Header) { h.Del(name) } }
	cases := []struct {
		name string
		req  rawRequest
		msg  string
	}{
		{"missing app id", get(rawRequest{header: del("X-App-Id")}), "missing X-App-Id header"},
		{"missing timestamp", get(rawRequest{header: del("X-Timestamp")}), "missing X-Timestamp header"},
		{"missing nonce", get(rawRequest{header: del("X-Nonce")}), "missing X-Nonce header"},
		{"missing signature", get(rawRequest{header: del("X-Signature")}), "missing X-Signature header"},
		{"unknown app id", get(rawRequest{appID: "app_nobody"}), "unknown or disabled app id"},
		{"stale timestamp", get(rawRequest{ts: strconv.FormatInt(now-310, 10)}), "timestamp outside the 300 s window"},
		{"future timestamp", get(rawRequest{ts: strconv.FormatInt(now+310, 10)}), "timestamp outside the 300 s window"},
		{"timestamp not a number", get(rawRequest{ts: "1.7e9"}), "invalid X-Timestamp header"},
		{"timestamp in ms", get(rawRequest{ts: strconv.FormatInt(now*1000, 10)}), "invalid X-Timestamp header: want Unix seconds"},
		{"short nonce", get(rawRequest{nonce: "abcdefghijklmno"}), "invalid nonce"},
		{"long nonce", get(rawRequest{nonce: "a123456789b123456789c123456789d123456789e123456789f123456789g1234"}), "invalid nonce"},
		{"nonce with a bad character", get(rawRequest{nonce: "abcdefghijklmnop.q"}), "invalid nonce"},
		{"garbage signature", get(rawRequest{header: func(h http.Header) { h.Set("X-Signature", "zz") }}), "bad signature"},
		{"upper-case signature", get(rawRequest{header: func(h http.Header) {
			h.Set("X-Signature", upper(h.Get("X-Signature")))
		}}), "bad signature"},
		{"wrong secret", get(rawRequest{secret: "sk_wrong"}), "bad signature"},
		{"tampered path", rawRequest{method: http.MethodGet, path: "/api/v1/payment/query/B1",
			signPath: "/api/v1/payment/query/A1"}, "bad signature"},
		{"tampered query", get(rawRequest{query: "limit=2", signQuery: "limit=1"}), "bad signature"},
		{"added query", get(rawRequest{query: "limit=2&status=paid", signQuery: "limit=2"}), "bad signature"},
		{"tampered body", rawRequest{method: http.MethodPost, path: "/api/v1/payment/close",
			body: []byte(`{"out_trade_no":"B1"}`), signBody: []byte(`{"out_trade_no":"A1"}`)}, "bad signature"},
		{"tampered method", rawRequest{method: http.MethodPost, path: "/api/v1/payment/close", body: []byte(`{"out_trade_no":"A1"}`),
			header: func(h http.Header) {
				h.Set("X-Signature", client.Sign(b.secret, "PUT", "/api/v1/payment/close", "", h.Get("X-Timestamp"), h.Get("X-Nonce"), []byte(`{"out_trade_no":"A1"}`)))
			}}, "bad signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, b.do(t, tc.req), http.StatusUnauthorized, "UNAUTHORIZED", tc.msg)
		})
	}
}

func upper(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c >= 'a' && c <= 'f' {
			out[i] = c - 32
		}
	}
	return string(out)
}

func TestAuthAcceptsEdgeOfWindowAndQueryForms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now().Unix()
	for _, ts := range []int64{now - 290, now + 290} {
		r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", ts: strconv.FormatInt(ts, 10)})
		if r.status != http.StatusOK {
			t.Fatalf("timestamp %d: %d %s", ts-now, r.status, r.body)
		}
	}
	// The signature covers the decoded, canonical query: any encoding and order of the same
	// parameters verifies (here '+' vs %20 and a different order).
	r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list",
		query: "status=paid&limit=5&x=a+b", signQuery: "x=a%20b&limit=5&status=paid"})
	if r.status != http.StatusOK {
		t.Fatalf("equivalent query: %d %s", r.status, r.body)
	}
	// A 64-character nonce of every allowed character class.
	r = b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list",
		nonce: "AZaz09_-AZaz09_-AZaz09_-AZaz09_-AZaz09_-AZaz09_-AZaz09_-AZaz09_-"})
	if r.status != http.StatusOK {
		t.Fatalf("64-character nonce: %d %s", r.status, r.body)
	}
}

func TestNonceReplayAndForgery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	nonce := client.NewNonce()
	list := rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", nonce: nonce}

	// A forged request (wrong signature) with the nonce must not burn it.
	forged := list
	forged.secret = "sk_forger"
	wantError(t, b.do(t, forged), http.StatusUnauthorized, "UNAUTHORIZED", "bad signature")

	if r := b.do(t, list); r.status != http.StatusOK {
		t.Fatalf("first use of the nonce: %d %s", r.status, r.body)
	}
	wantError(t, b.do(t, list), http.StatusUnauthorized, "UNAUTHORIZED", "nonce already used")
	// Same nonce on another path is a replay too.
	other := rawRequest{method: http.MethodGet, path: "/api/v1/payment/events", nonce: nonce}
	wantError(t, b.do(t, other), http.StatusUnauthorized, "UNAUTHORIZED", "nonce already used")
}

func TestDisabledClientAndRotation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	old := b.secret
	newSecret, err := b.svc.RotateMerchant(ctx, b.appID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{old, newSecret} {
		if _, err := client.New(b.srv.URL, b.appID, secret).List(ctx, client.ListOptions{}); err != nil {
			t.Fatalf("secret in rotation grace refused: %v", err)
		}
	}
	if err := b.svc.SetMerchantDisabled(ctx, b.appID, true); err != nil {
		t.Fatal(err)
	}
	_, err = client.New(b.srv.URL, b.appID, newSecret).List(ctx, client.ListOptions{})
	ce := wantClientError(t, err, http.StatusUnauthorized, client.CodeUnauthorized)
	if ce.Message != "unknown or disabled app id" {
		t.Fatalf("message %q", ce.Message)
	}
}

func TestClientClockSkew(t *testing.T) {
	t.Parallel()
	b := setup(t)
	skewed := client.New(b.srv.URL, b.appID, b.secret, client.WithClock(func() time.Time { return time.Now().Add(-10 * time.Minute) }))
	_, err := skewed.List(context.Background(), client.ListOptions{})
	ce := wantClientError(t, err, http.StatusUnauthorized, client.CodeUnauthorized)
	if ce.Message != "timestamp outside the 300 s window" {
		t.Fatalf("message %q", ce.Message)
	}
}
