// Package apiauth is the part of the merchant API's request authentication (docs/api.md,
// Authentication) that needs neither the database nor HTTP: the form of the four headers,
// the timestamp window, and the HMAC-SHA256 signature over the string to sign. httpapi
// applies it to each request.
//
// It is a package of its own for its fuzz target: fuzzing instruments every linked package
// and compares all their coverage counters after each execution, and httpapi's test binary
// (Gin, SQLite, the simulator) had 358,755 counters to compare per execution, this one's
// 22,875.
package apiauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TimestampWindow is how far X-Timestamp may be from the server's clock (docs/api.md, Authentication).
const TimestampWindow = 300 * time.Second

// The forms of the four headers, checked byte by byte on every request (regexps cost 2 %
// of a signed query's CPU): an app id and a nonce are [A-Za-z0-9_-], 1–64 and 16–64 long;
// a timestamp is 1–12 digits; a signature is 64 lower-case hex digits.
var (
	appIDPattern     = charsPattern{min: 1, max: 64, ok: isIDByte}
	noncePattern     = charsPattern{min: 16, max: 64, ok: isIDByte}
	timestampPattern = charsPattern{min: 1, max: 12, ok: func(b byte) bool { return '0' <= b && b <= '9' }}
	signaturePattern = charsPattern{min: 64, max: 64, ok: func(b byte) bool { return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' }}
)

// charsPattern matches a string of min to max bytes, each of which ok accepts.
type charsPattern struct {
	min, max int
	ok       func(byte) bool
}

// MatchString reports whether s has the pattern's length and bytes.
func (p charsPattern) MatchString(s string) bool {
	if len(s) < p.min || len(s) > p.max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !p.ok(s[i]) {
			return false
		}
	}
	return true
}

func isIDByte(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '_' || b == '-'
}

// ValidAppID reports whether appID has the form of an app id, so that what cannot be one
// costs no database lookup.
func ValidAppID(appID string) bool { return appIDPattern.MatchString(appID) }

func unauthorized(msg string) error { return payment.Errorf(payment.CodeUnauthorized, "%s", msg) }

// CheckHeaders validates the four headers' presence and form and the timestamp window
// around now. Errors: UNAUTHORIZED, with the reason.
func CheckHeaders(appID, ts, nonce, sig string, now time.Time) error {
	switch {
	case appID == "":
		return unauthorized("missing X-App-Id header")
	case ts == "":
		return unauthorized("missing X-Timestamp header")
	case nonce == "":
		return unauthorized("missing X-Nonce header")
	case sig == "":
		return unauthorized("missing X-Signature header")
	}
	if !ValidAppID(appID) { // no database lookup for what cannot be an app id
		return unauthorized("unknown or disabled app id")
	}
	if !timestampPattern.MatchString(ts) {
		return unauthorized("invalid X-Timestamp header: want Unix seconds")
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // twelve digits at most: cannot overflow
	if math.Abs(float64(now.Unix()-sec)) > TimestampWindow.Seconds() {
		return unauthorized("timestamp outside the 300 s window")
	}
	if !noncePattern.MatchString(nonce) {
		return unauthorized("invalid nonce")
	}
	if !signaturePattern.MatchString(sig) {
		return unauthorized("bad signature")
	}
	return nil
}

// VerifyAny compares sig with the signature under every secret, in constant time per
// comparison and without stopping early, so timing reveals neither which secret matched
// nor how much of the signature did.
func VerifyAny(secrets [][]byte, stringToSign, sig string) bool {
	ok := false
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(stringToSign))
		want := hex.EncodeToString(mac.Sum(nil))
		if hmac.Equal([]byte(want), []byte(sig)) {
			ok = true
		}
	}
	return ok
}

// StringToSign builds docs/api.md's
// METHOD \n PATH \n CANONICAL_QUERY \n X-Timestamp \n X-Nonce \n hex(sha256(body)).
func StringToSign(method, escapedPath, canonicalQuery, ts, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{method, escapedPath, canonicalQuery, ts, nonce, hex.EncodeToString(sum[:])}, "\n")
}

// CanonicalQuery sorts the parameters by key, then value (as decoded bytes), encodes each
// key and value per RFC 3986 and joins the key=value pairs with "&".
func CanonicalQuery(q url.Values) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, pair{k, v})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = rfc3986(p.k) + "=" + rfc3986(p.v)
	}
	return strings.Join(parts, "&")
}

// rfc3986 percent-encodes every byte except the unreserved A-Z a-z 0-9 - . _ ~, with
// upper-case hex digits (so a space is %20, never +).
func rfc3986(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ('A' <= ch && ch <= 'Z') || ('a' <= ch && ch <= 'z') || ('0' <= ch && ch <= '9') ||
			ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[ch>>4])
		b.WriteByte(hexDigits[ch&15])
	}
	return b.String()
}
