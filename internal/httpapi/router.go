// Package httpapi is the HTTP adapter of the gateway: the merchant API of docs/api.md on Gin,
// the Alipay notify endpoint (docs/decisions.md, Notifications), and the health probes. Handlers are thin: they
// decode and check the request, call the payment.Service, and render its answer; every
// error goes through writeError, the one place that maps error codes to HTTP statuses.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// DefaultMaxBody is the request body limit of docs/api.md (64 KiB).
const DefaultMaxBody = 64 << 10

// Waiter holds a query (`?wait=N`) until the order leaves pending or timeout passes, and
// returns the order as it then is. Implementations must start listening for changes before
// they re-read the order, so that a change between the handler's read and the wait is not
// missed. Errors are coded like payment.Service's.
type Waiter interface {
	WaitSettled(ctx context.Context, o *payment.Order, timeout time.Duration) (*payment.Order, error)
}

// Limiter rate-limits authenticated clients. Allow reports whether the client may make one
// more request now, and if not, after how long it may try again.
type Limiter interface {
	Allow(ctx context.Context, c *payment.Merchant) (ok bool, retryAfter time.Duration)
}

// Config wires the HTTP adapter.
type Config struct {
	Service *payment.Service // required
	Logger  *slog.Logger     // nil = discard
	Clock   payment.Clock    // checks X-Timestamp; nil = the system clock
	// Extra mounts further routes on the engine (the sandbox under /sandbox, the cashier,
	// the console, metrics) so that they share the request id, recovery and access log.
	Extra func(*gin.Engine)
	// MaxBody limits request bodies; 0 = DefaultMaxBody.
	MaxBody int64
	// Waiter serves `?wait=N` on queries; nil answers immediately.
	Waiter Waiter
	// Limiter rate-limits the merchant API after authentication; nil = no limit.
	Limiter Limiter
	// IPLimiter rate-limits the public routes (notify, cashier, console login) per client
	// IP; nil = no limit. When it is also an AuthFailureLimiter, the merchant API's failed
	// authentications get a budget per source.
	IPLimiter IPLimiter
	// TrustedProxies are the proxy addresses or CIDRs whose X-Forwarded-For is believed when
	// taking the client IP (notify audit, access log); nil trusts none.
	TrustedProxies []string
	// Observe, when set, is told of every served request (metrics): route is the matched
	// pattern, e.g. /api/v1/payment/query/:out_trade_no, or "" when no route matched.
	Observe func(method, route string, status int, d time.Duration)
	// Version is the build GET /health reports.
	Version string
	// Draining, when set and true, makes GET /ready answer 503 so that a load balancer
	// stops sending new work before the process stops (docs/deploy.md).
	Draining func() bool
	// TracerProvider makes a span of each request (trace.go); nil makes none and reads no
	// traceparent. The gateway passes a no-op provider when tracing is off, so that a
	// merchant's trace id still reaches the log lines of its request.
	TracerProvider trace.TracerProvider
}

type server struct {
	svc       *payment.Service
	log       *slog.Logger
	clock     payment.Clock
	maxBody   int64
	waiter    Waiter
	limiter   Limiter
	ipLimiter IPLimiter
	authFail  AuthFailureLimiter // nil: no budget of failed authentications
	known     knownSecrets
	observe   func(method, route string, status int, d time.Duration)
	version   string
	draining  func() bool
}

// New builds the gateway's HTTP handler. It panics on an invalid TrustedProxies entry,
// which is a programming or configuration error caught at start-up.
func New(cfg Config) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	s := &server{svc: cfg.Service, log: cfg.Logger, clock: cfg.Clock, maxBody: cfg.MaxBody,
		waiter: cfg.Waiter, limiter: cfg.Limiter, ipLimiter: cfg.IPLimiter, observe: cfg.Observe,
		version: cfg.Version, draining: cfg.Draining}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if af, ok := cfg.IPLimiter.(AuthFailureLimiter); ok {
		s.authFail = af
	}
	if s.clock == nil {
		s.clock = payment.SystemClock{}
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}

	e := gin.New()
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		panic("httpapi: invalid trusted proxies: " + err.Error())
	}
	e.Use(s.requestID, s.traceRoute, s.accessLog, s.recovery, s.securityHeaders, s.hygiene, s.ipLimit)
	e.NoRoute(func(c *gin.Context) {
		writeError(c, payment.Errorf(payment.CodeNotFound, "no such route"))
	})

	e.GET("/health", s.health)
	e.GET("/ready", s.ready)
	e.POST("/notify/alipay", s.notify)
	if s.svc != nil && s.svc.HasChannel(payment.ChannelWeChat) {
		e.POST(wechatNotifyPath, s.notifyWeChat)
	}
	e.GET("/api/openapi.yaml", serveOpenAPI)

	api := e.Group("/api/v1/payment", s.preLimit, s.authenticate, s.rateLimit, s.useNonce)
	api.POST("/create", s.createPayment)
	api.GET("/query/:out_trade_no", s.queryPayment)
	api.POST("/close", s.closePayment)
	api.GET("/list", s.listPayments)
	api.POST("/refund", s.createRefund)
	api.GET("/refund/query/:out_trade_no/:refund_no", s.queryRefund)
	api.GET("/events", s.listEvents)
	api.POST("/events/:event_id/resend", s.resendEvent)
	api.POST("/charge", s.chargePayment)

	if cfg.Extra != nil {
		cfg.Extra(e)
	}
	return traced(e, cfg.TracerProvider)
}
