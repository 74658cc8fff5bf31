// Package web serves the pages people look at: the buyer's cashier (/pay/:token, its QR image
// and live status) and the operator console (/admin). Templates, the stylesheet and the
// script are embedded, so the pages work offline and need no build step. Every HTML route
// carries a strict Content-Security-Policy: no inline script or style, nothing from
// elsewhere, no framing.
package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
)

//go:embed templates/*.html static/*
var files embed.FS

// Config wires the pages.
type Config struct {
	Service  *payment.Service   // required
	Notifier *notifier.Notifier // required: live status of the cashier
	Logger   *slog.Logger       // nil = discard
	Clock    payment.Clock      // nil = the system clock
	// MerchantName is shown on the cashier; "" shows "f2fpay".
	MerchantName string
	// AdminPasswordHash is the bcrypt hash of the console password; "" disables /admin.
	AdminPasswordHash string
	// SecureCookies marks the console's cookies Secure even on plain HTTP requests (behind a
	// TLS-terminating proxy). Requests that arrive over TLS always get Secure cookies.
	SecureCookies bool
	// IPv6Prefix is how much of an IPv6 address names one source for the login lockout
	// (rate_limit.ipv6_prefix); 0 = 64.
	IPv6Prefix int
	// Sleep holds a login attempt for the delay of docs/security.md, returning early with
	// ctx's error; nil = a real timer. Tests record the delays instead of waiting them.
	Sleep func(ctx context.Context, d time.Duration) error
	// Location is the time zone of the dashboard's "today" and of displayed times; nil = time.Local.
	Location *time.Location
}

// Handler serves the cashier and the console; mount it on the gateway's engine with Mount.
type Handler struct {
	svc      *payment.Service
	store    payment.Store
	notes    *notifier.Notifier
	log      *slog.Logger
	clock    payment.Clock
	merchant string
	loc      *time.Location
	pages    map[string]*template.Template
	assetTag string // content hash appended to asset URLs so that caches never serve stale ones
	admin    *auth
}

// New parses the embedded templates and returns the pages' handler. It fails only on a
// broken template, which a test catches.
func New(cfg Config) (*Handler, error) {
	if cfg.Service == nil || cfg.Notifier == nil {
		return nil, errors.New("web: Service and Notifier are required")
	}
	h := &Handler{svc: cfg.Service, store: cfg.Service.Store(), notes: cfg.Notifier, log: cfg.Logger,
		clock: cfg.Clock, merchant: cfg.MerchantName, loc: cfg.Location}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.clock == nil {
		h.clock = payment.SystemClock{}
	}
	if h.merchant == "" {
		h.merchant = "f2fpay"
	}
	if h.loc == nil {
		h.loc = time.Local
	}
	var err error
	if h.pages, err = parsePages(h.funcs()); err != nil {
		return nil, err
	}
	h.assetTag = assetHash()
	h.admin = newAuth(cfg.AdminPasswordHash, cfg.SecureCookies, h.clock)
	h.admin.v6Prefix = cfg.IPv6Prefix
	if cfg.Sleep != nil {
		h.admin.sleep = cfg.Sleep
	}
	return h, nil
}

// Mount adds the cashier, console and asset routes to e.
func (h *Handler) Mount(e *gin.Engine) {
	e.GET("/assets/*file", h.asset)
	pay := e.Group("/pay", securityHeaders)
	pay.GET("/:token", h.cashier)
	pay.GET("/:token/qr.png", h.qrImage)
	pay.GET("/:token/status", h.status)
	h.mountAdmin(e.Group("/admin", securityHeaders, consoleHeaders))
}

// csp allows only this origin's script, style and images, and no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every page carries.
func securityHeaders(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer") // the cashier token is in the URL
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	c.Next()
}

// consoleHeaders keeps console pages out of every cache, and lets the browser send the
// console's own origin (not "null", as under no-referrer) with its form posts, which
// sameOrigin checks. Console URLs carry no secret.
func consoleHeaders(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "same-origin")
	c.Next()
}

func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := n[len("templates/") : len(n)-len(".html")]
		if name == "base" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(files, "templates/base.html", n)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

func assetHash() string {
	sum := sha256.New()
	for _, n := range []string{"static/app.css", "static/app.js"} {
		b, _ := files.ReadFile(n)
		sum.Write(b)
	}
	return hex.EncodeToString(sum.Sum(nil))[:12]
}

// render writes page with data under status; data's fields are what the template uses.
func (h *Handler) render(c *gin.Context, status int, page string, data any) {
	t := h.pages[page]
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := t.ExecuteTemplate(c.Writer, "page", data); err != nil {
		h.log.Error("render page", slog.String("page", page), slog.String("err", err.Error()))
	}
}

// asset serves the embedded stylesheet and script; their URLs carry a content hash.
func (h *Handler) asset(c *gin.Context) {
	name := c.Param("file")
	types := map[string]string{"/app.css": "text/css; charset=utf-8", "/app.js": "text/javascript; charset=utf-8"}
	ct, ok := types[name]
	if !ok {
		c.String(http.StatusNotFound, "not found")
		return
	}
	b, _ := files.ReadFile("static" + name)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, ct, b)
}

func (h *Handler) now() time.Time { return h.clock.Now() }

// funcs are the helpers templates may call.
func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{"yuan": func(a payment.Amount) string { return a.String() }}
}
