package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Keys of the values the middleware leaves in the gin.Context.
const (
	ctxRequestID = "f2fpay.request_id"
	ctxLogger    = "f2fpay.logger"
	ctxClient    = "f2fpay.client"
	ctxBody      = "f2fpay.body"
	ctxNonce     = "f2fpay.nonce"
	ctxErrorCode = "f2fpay.error_code"
)

// requestIDHeader carries the request id both ways.
const requestIDHeader = "X-Request-Id"

// A caller's own request id is kept when it is this tame, so that it can be correlated
// across systems without letting arbitrary text into our logs.
var incomingRequestID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{8,64}$`)

// requestID gives every request an id, echoed in the X-Request-Id header of every answer
// and in the request_id of every error object.
func (s *server) requestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !incomingRequestID.MatchString(id) {
		id = newRequestID()
	}
	c.Set(ctxRequestID, id)
	c.Set(ctxLogger, s.log)
	c.Header(requestIDHeader, id)
	c.Next()
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand panics internally instead)
	return "req_" + base64.RawURLEncoding.EncodeToString(b)
}

func requestIDOf(c *gin.Context) string { return c.GetString(ctxRequestID) }

func logFrom(c *gin.Context) *slog.Logger {
	if l, ok := c.Value(ctxLogger).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// recovery turns a panic into an INTERNAL answer. The panic value and stack go to the log
// only; the caller sees "internal error" and the request id.
func (s *server) recovery(c *gin.Context) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
			panic(p)
		}
		s.log.ErrorContext(c.Request.Context(), "panic serving request", slog.String("request_id", requestIDOf(c)),
			slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		writeError(c, errors.New("panic"))
	}()
	c.Next()
}

// accessLog writes one line per request: no headers, no query string, no body, so neither
// a secret nor a signature can reach the log. It also tells Observe, by route pattern.
func (s *server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	if s.observe != nil {
		s.observe(c.Request.Method, c.FullPath(), c.Writer.Status(), elapsed)
	}
	attrs := []slog.Attr{
		slog.String("request_id", requestIDOf(c)),
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()),
		slog.Int("bytes", c.Writer.Size()),
		slog.Duration("duration", elapsed),
		slog.String("client_ip", c.ClientIP()),
	}
	if cl, ok := c.Value(ctxClient).(*payment.Merchant); ok {
		attrs = append(attrs, slog.String("app_id", cl.AppID))
	}
	if code := c.GetString(ctxErrorCode); code != "" {
		attrs = append(attrs, slog.String("error_code", code))
	}
	level := slog.LevelInfo
	if c.Writer.Status() >= 500 {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
}
