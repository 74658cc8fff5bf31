package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// MaxURLBytes bounds the request target (path and query); longer ones get 414. Nothing in
// the API needs more than a few hundred bytes.
const MaxURLBytes = 4 << 10

// contentSecurityPolicy is sent on every answer outside the demo's /sandbox: pages load
// scripts, styles and images from this origin only (inline styles allowed, inline scripts
// not), send forms only here, and may not be framed (clickjacking of the cashier and the
// console).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the browser-facing protections. They cost nothing on JSON answers,
// so they are set everywhere rather than trusting each HTML route to remember them; a
// route that needs another policy overwrites the header before it writes. The answers of
// the API and the notify endpoint are never to be cached by a proxy.
func (s *server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	p := c.Request.URL.Path
	if !strings.HasPrefix(p, "/sandbox/") {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
	}
	if strings.HasPrefix(p, "/api/v1/") || strings.HasPrefix(p, "/notify/") || strings.HasPrefix(p, "/admin") {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// hygiene refuses requests no route should see: an overlong target (414), a path or query
// that is not valid UTF-8 once decoded, or a query that does not parse (400). The server's
// MaxHeaderBytes and timeouts (cmd) bound the rest of the request line and headers.
func (s *server) hygiene(c *gin.Context) {
	r := c.Request
	if len(r.RequestURI) > MaxURLBytes || len(r.URL.RawQuery) > MaxURLBytes {
		writeErrorStatus(c, http.StatusRequestURITooLong, invalid("request URL is longer than %d bytes", MaxURLBytes))
		return
	}
	if !utf8.ValidString(r.URL.Path) {
		writeError(c, invalid("request path must be valid UTF-8"))
		return
	}
	if ownBodyLimit(r.URL.Path) == "" {
		// The pages and the console (login included, before any session) parse forms: bound
		// their bodies like the API's, so that no route reads megabytes for anyone.
		limit := s.maxBody
		if r.URL.Path == billUploadPath {
			limit = maxBillUploadBody
		}
		if r.ContentLength > limit {
			writeErrorStatus(c, http.StatusRequestEntityTooLarge, invalid("request body is larger than %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(c.Writer, r.Body, limit)
	}
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			writeError(c, invalid("malformed query string"))
			return
		}
		for k, vs := range q {
			if !utf8.ValidString(k) || !validStrings(vs) {
				writeError(c, invalid("query parameters must be valid UTF-8"))
				return
			}
		}
	}
	c.Next()
}

// billUploadPath is the console's bill upload, the one page whose body may be large: a
// day's bill zip of up to 16 MiB (web.MaxBillUpload) plus the multipart envelope. The
// console's session check runs before the form is read, so only a logged-in operator can
// send that much.
const (
	billUploadPath    = "/admin/reconciliation/upload"
	maxBillUploadBody = 16<<20 + 64<<10
)

// ownBodyLimit names the routes that bound their bodies themselves: the merchant API and
// the notify endpoint (413 with their own answer and audit) and the embedded simulator
// (Alipay-style errors). Every other route gets the limit in hygiene.
func ownBodyLimit(path string) string {
	for _, p := range []string{"/api/", "/notify/", "/sandbox/"} {
		if strings.HasPrefix(path, p) {
			return p
		}
	}
	return ""
}

func validStrings(vs []string) bool {
	for _, v := range vs {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}
