package app

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/version"
	"github.com/f2fpay/f2fpay/internal/web"
)

// buildHTTP builds the main handler: the merchant API and notify endpoint (httpapi), the
// cashier and console pages, the sandbox in demo, and /metrics when it is public.
func (a *App) buildHTTP(o Options, limits ratelimit.Store) (http.Handler, error) {
	cfg := a.cfg
	pages, err := web.New(web.Config{Service: a.svc, Notifier: a.notes, Logger: a.log.With(slog.String("component", "web")),
		Clock: o.Clock, MerchantName: cfg.Admin.MerchantName, AdminPasswordHash: cfg.Admin.PasswordHash,
		SecureCookies: cfg.Admin.SecureCookies || strings.HasPrefix(a.PublicURL(), "https://"),
		IPv6Prefix:    cfg.RateLimit.IPv6Prefix})
	if err != nil {
		return nil, err
	}
	rl := cfg.RateLimit
	policy := ratelimit.NewPolicy(limits, ratelimit.Config{
		ClientRate: rl.ClientRate, ClientBurst: rl.ClientBurst, IPRate: rl.IPRate, IPBurst: rl.IPBurst,
		NotifyRate: rl.NotifyRate, NotifyBurst: rl.NotifyBurst, AuthFailRate: rl.AuthFailRate, AuthFailBurst: rl.AuthFailBurst,
		NotifyFailRate: rl.NotifyFailRate, NotifyFailBurst: rl.NotifyFailBurst,
		IPv6Prefix: rl.IPv6Prefix, Logger: a.log.With(slog.String("component", "ratelimit"))})
	a.svc.SetNotifyFailBudget(policy)
	extra := func(e *gin.Engine) {
		if cfg.Metrics.Public {
			e.GET("/metrics", gin.WrapH(a.metrics.Handler()))
		}
		if o.Sandbox != nil {
			e.Any("/sandbox/*path", gin.WrapH(o.Sandbox))
		}
		pages.Mount(e)
	}
	return limitNotify(httpapi.New(httpapi.Config{Service: a.svc, Logger: a.log, Clock: o.Clock, Extra: extra, Waiter: a.waiter,
		Limiter: policy, IPLimiter: policy, TrustedProxies: cfg.TrustedProxies, Observe: a.metrics.ObserveHTTP,
		Version: version.Version, Draining: a.draining.Load, TracerProvider: a.tracer}), notifyConcurrency), nil
}

// NewServer is an http.Server for h with the timeouts that keep slow or idle clients from
// holding connections; its own errors go to log at warning level.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      75 * time.Second, // above the longest ?wait=60
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// newMetricsServer serves GET /metrics alone, for the metrics.listen address.
func newMetricsServer(metrics http.Handler, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	return NewServer(mux, log)
}
