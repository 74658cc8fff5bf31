package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/httpapi/apiauth"
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
const TimestampWindow = apiauth.TimestampWindow

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
	if err := apiauth.CheckHeaders(appID, ts, nonce, sig, s.clock.Now()); err != nil {
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
	if err == nil && !apiauth.VerifyAny(secrets, want, sig) {
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
	return apiauth.StringToSign(c.Request.Method, c.Request.URL.EscapedPath(), apiauth.CanonicalQuery(query), ts, nonce, body), nil
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
