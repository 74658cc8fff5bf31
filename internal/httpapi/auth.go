package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Authentication headers (docs/api.md, Authentication).
const (
	headerAppID     = "X-App-Id"
	headerTimestamp = "X-Timestamp"
	headerNonce     = "X-Nonce"
	headerSignature = "X-Signature"
)

// TimestampWindow is how far X-Timestamp may be from the server's clock (docs/api.md, Authentication).
const TimestampWindow = 300 * time.Second

// The forms of the four headers, checked byte by byte on every request (a regexp
// cost as much as the HMAC): an app id and a nonce are [A-Za-z0-9_-], 1–64 and 16–64
// long; a timestamp is 1–12 digits; a signature is 64 lower-case hex digits.
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

func unauthorized(msg string) error { return payment.Errorf(payment.CodeUnauthorized, "%s", msg) }

// authenticate checks the HMAC-SHA256 request signature of docs/api.md (Authentication). The cheap header
// checks come first, then the source's budget of failed authentications (authbudget.go),
// then the client's secrets, then the signature over the body; only a request whose
// signature verifies goes on to rateLimit and useNonce, so a forged request cannot burn a
// nonce. A failure that cost the database read is charged to the source. On success the
// client, the nonce and the exact body bytes are left in the context.
func (s *server) authenticate(c *gin.Context) {
	h := c.Request.Header
	appID, ts, nonce, sig := h.Get(headerAppID), h.Get(headerTimestamp), h.Get(headerNonce), h.Get(headerSignature)
	if err := s.checkHeaders(appID, ts, nonce, sig); err != nil {
		writeError(c, err)
		return
	}
	if s.overBudget(c, appID, ts, nonce, sig) {
		return
	}
	client, secrets, err := s.svc.MerchantSecrets(c.Request.Context(), appID)
	if err != nil {
		if payment.ErrorCode(err) == payment.CodeUnauthorized {
			s.authFailed(c)
		}
		writeError(c, err)
		return
	}
	body, ok := s.bodyOf(c)
	if !ok {
		s.authFailed(c)
		return
	}
	want, err := s.wantSignature(c, ts, nonce, body)
	if err == nil && !verifyAny(secrets, want, sig) {
		err = unauthorized("bad signature")
	}
	if err != nil {
		s.authFailed(c)
		writeError(c, err)
		return
	}
	s.known.remember(appID, secrets, s.clock.Now())
	c.Set(ctxClient, client)
	c.Set(ctxBody, body)
	c.Set(ctxNonce, nonce)
	c.Next()
}

// ctxRawBody holds the body once read, before the request is authenticated.
const ctxRawBody = "f2fpay.rawBody"

// bodyOf reads the body once (readBody) and keeps it for a second caller.
func (s *server) bodyOf(c *gin.Context) ([]byte, bool) {
	if b, ok := c.Get(ctxRawBody); ok {
		return b.([]byte), true
	}
	body, ok := s.readBody(c)
	if ok {
		c.Set(ctxRawBody, body)
	}
	return body, ok
}

// wantSignature is the string to sign of the request. Errors: INVALID_PARAMETER for a
// malformed query string.
func (s *server) wantSignature(c *gin.Context, ts, nonce string, body []byte) (string, error) {
	query, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return "", payment.Errorf(payment.CodeInvalidParameter, "malformed query string")
	}
	return stringToSign(c.Request.Method, c.Request.URL.EscapedPath(), canonicalQuery(query), ts, nonce, body), nil
}

// useNonce records the nonce of an authenticated request, refusing a replay. It runs after
// authenticate and rateLimit, so that neither a forged nor a rate-limited request burns a
// nonce: a device told to retry after Retry-After may resend the very same request.
func (s *server) useNonce(c *gin.Context) {
	client, _ := c.Value(ctxClient).(*payment.Merchant)
	if client == nil { // a routing mistake, not a caller's: never serve unauthenticated
		writeError(c, errors.New("useNonce without authenticate"))
		return
	}
	if err := s.svc.UseNonce(c.Request.Context(), client.AppID, c.GetString(ctxNonce)); err != nil {
		writeError(c, err)
		return
	}
	c.Next()
}

// checkHeaders validates the four headers' presence and form and the timestamp window.
func (s *server) checkHeaders(appID, ts, nonce, sig string) error {
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
	if !appIDPattern.MatchString(appID) { // no database lookup for what cannot be an app id
		return unauthorized("unknown or disabled app id")
	}
	if !timestampPattern.MatchString(ts) {
		return unauthorized("invalid X-Timestamp header: want Unix seconds")
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // twelve digits at most: cannot overflow
	if math.Abs(float64(s.clock.Now().Unix()-sec)) > TimestampWindow.Seconds() {
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

// readBody reads the whole body, at most maxBody bytes; above that it answers 413.
func (s *server) readBody(c *gin.Context) ([]byte, bool) {
	if c.Request.Body == nil || c.Request.Body == http.NoBody { // a GET: no 512-byte buffer for nothing
		return []byte{}, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeErrorStatus(c, http.StatusRequestEntityTooLarge,
			payment.Errorf(payment.CodeInvalidParameter, "request body is larger than %d bytes", s.maxBody))
		return nil, false
	case err != nil:
		writeError(c, payment.Errorf(payment.CodeInvalidParameter, "request body could not be read"))
		return nil, false
	}
	return body, true
}

// verifyAny compares sig with the signature under every secret, in constant time per
// comparison and without stopping early, so timing reveals neither which secret matched
// nor how much of the signature did.
func verifyAny(secrets [][]byte, stringToSign, sig string) bool {
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

// stringToSign builds docs/api.md's
// METHOD \n PATH \n CANONICAL_QUERY \n X-Timestamp \n X-Nonce \n hex(sha256(body)).
func stringToSign(method, escapedPath, canonicalQuery, ts, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{method, escapedPath, canonicalQuery, ts, nonce, hex.EncodeToString(sum[:])}, "\n")
}

// canonicalQuery sorts the parameters by key, then value (as decoded bytes), encodes each
// key and value per RFC 3986 and joins the key=value pairs with "&".
func canonicalQuery(q url.Values) string {
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
