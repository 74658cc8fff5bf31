package apiauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// FuzzAuthVerifier drives the request verifier with arbitrary headers, paths, queries and
// bodies. It must never panic; a signature made by the public client over the same inputs
// must verify; any other signature must not; and the header checks, which run before the
// database is read and have no access to it, must refuse only with UNAUTHORIZED.
func FuzzAuthVerifier(f *testing.F) {
	f.Add("POST", "/api/v1/payment/create", "", "1700000000", "abcdefghijklmnop", "sk_secret", []byte(`{"a":1}`), "")
	f.Add("GET", "/api/v1/payment/list", "status=paid&limit=10&b=a%20b&a=2&a=1&x=%7E+y", "1700000000", "nonce_nonce-0123", "s", []byte(nil), "00")
	f.Add("GET", "/api/v1/payment/query/%E6%B5%8B", "a=%ff&=&&b", "-1", "short", "", []byte("\xff"), "zz")
	f.Fuzz(func(t *testing.T, method, path, rawQuery, ts, nonce, secret string, body []byte, forged string) {
		hdrErr := CheckHeaders("app_x", ts, nonce, forged, time.Unix(1700000000, 0))
		if hdrErr != nil && payment.ErrorCode(hdrErr) != payment.CodeUnauthorized {
			t.Fatalf("header check error %v is not UNAUTHORIZED", hdrErr)
		}
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // the server answers 400 for a malformed query before verifying
		}
		want := StringToSign(method, path, CanonicalQuery(q), ts, nonce, body)
		good := client.Sign(secret, method, path, rawQuery, ts, nonce, body)
		if !VerifyAny([][]byte{[]byte("other"), []byte(secret)}, want, good) {
			t.Fatalf("client signature does not verify: %q", want)
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(want))
		if forged != hex.EncodeToString(mac.Sum(nil)) && VerifyAny([][]byte{[]byte(secret)}, want, forged) {
			t.Fatalf("forged signature %q verified", forged)
		}
		if VerifyAny(nil, want, good) {
			t.Fatal("a client without secrets verified")
		}
	})
}
