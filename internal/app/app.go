// Package app is f2fpay's composition root. New builds one gateway from its configuration in
// dependency order (store, metrics, channel and its breaker, service, pages, shared stores,
// workers, HTTP)
// and App starts and stops it. cmd/f2fpay (demo, serve), bench and the tests that need a
// whole gateway all build it here, so that the wiring exists once.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/app/backend"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/metrics"
	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/tracing"
	"github.com/f2fpay/f2fpay/internal/tracing/otlp"
	"github.com/f2fpay/f2fpay/internal/version"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// Options is what a gateway is built from besides its configuration.
type Options struct {
	// Config is the gateway's configuration; `serve` validates it first (config.Validate).
	Config config.Config
	Logger *slog.Logger // nil = discard
	// Listener is the main listener when the caller opened it already (demo must know its
	// URL before it builds the sandbox); nil = listen on Config.Listen. New owns it: it is
	// closed by Stop, or by New when New fails.
	Listener net.Listener
	// Sandbox is mounted under /sandbox when set (demo).
	Sandbox http.Handler
	// NoWorkers leaves the webhook dispatcher, the reconciler and the NATS relay stopped: a
	// still database (demo --workers=false, for tests that compare it).
	NoWorkers bool
	// Clock is the time of the service, workers and HTTP layer; nil = the system clock.
	Clock payment.Clock
	// WrapChannel, when set, wraps the channel the service uses (tests that fake answers).
	WrapChannel func(payment.Channel) payment.Channel
	// ConfigPath and Getenv are where Config came from (serve's --config and environment),
	// so that New can warn about secret files others may read (config.SecretFiles); nil
	// Getenv reads nothing.
	ConfigPath string
	Getenv     func(string) string
}

// service is a background service of the gateway (dispatcher, reconciler, NATS relay).
type service interface {
	Start(ctx context.Context)
	Stop()
}

// App is one built gateway. Start serves it; Stop drains and stops it.
type App struct {
	cfg      config.Config
	log      *slog.Logger
	store    payment.Store
	allow    []netip.Prefix // webhooks.allow_networks, parsed
	svc      *payment.Service
	channel  *alipay.Channel
	wechat   *wechatpay.Channel // nil unless wechat.* is configured
	metrics  *metrics.Metrics
	tracer   *otlp.Provider // spans of requests and worker passes; flushed by closeAll
	notes    *notifier.Notifier
	waiter   *drainWaiter
	workers  []service
	closers  []func() // shared stores (Redis), closed after the workers stop
	srv      *http.Server
	metSrv   *http.Server // nil unless metrics.listen is set
	served   []served
	failed   chan error
	draining atomic.Bool

	mu           sync.Mutex
	started      bool
	stopOnce     sync.Once
	stopErr      error
	endDrain     chan struct{} // closed by a second Stop
	endDrainOnce sync.Once
}

// served is one listener and the server that serves it.
type served struct {
	ln  net.Listener
	srv *http.Server
	tls bool
}

// New builds the gateway and opens its listeners, but serves nothing until Start. Its
// errors name the setting or the dependency that failed ("database unreachable: …",
// "redis_url: …", "listen 127.0.0.1:8080: …"); on error everything opened is closed.
func New(ctx context.Context, o Options) (_ *App, err error) {
	a := &App{cfg: o.Config, log: o.Logger, endDrain: make(chan struct{})}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = slog.New(tracing.LogHandler(a.log.Handler())) // tracing.go
	if o.Listener != nil {
		a.served = append(a.served, served{ln: o.Listener})
	}
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()
	if err := config.CheckProxies(a.cfg.TrustedProxies); err != nil {
		return nil, err
	}
	a.warnSecretFiles(o)
	if err := a.buildTracer(); err != nil {
		return nil, err
	}
	if err := a.buildCore(ctx, o); err != nil {
		return nil, err
	}
	limits, err := a.openShared(ctx, o.NoWorkers)
	if err != nil {
		return nil, err
	}
	if !o.NoWorkers {
		a.buildWorkers(o.Clock)
	}
	h, err := a.buildHTTP(o, limits)
	if err != nil {
		return nil, err
	}
	if err := a.listen(h); err != nil {
		return nil, err
	}
	return a, nil
}

// buildCore opens the store and builds the metrics, channel, service and change feed, each
// after what it needs, so the channel records its calls straight into the open store.
func (a *App) buildCore(ctx context.Context, o Options) error {
	st, err := backend.OpenStore(ctx, a.cfg.Database, a.cfg.DatabasePool)
	if err != nil {
		return err
	}
	a.store = st
	if err := st.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %v", err)
	}
	a.metrics = metrics.New(func(ctx context.Context) (payment.QueueDepths, error) {
		return st.QueueDepths(ctx, payment.Now(clockOr(o.Clock)))
	}, a.log.With(slog.String("component", "metrics")))
	a.metrics.SetBuildInfo(version.Version, version.Commit, version.Date)
	allow, err := payment.ParseNetworks(a.cfg.Webhooks.AllowNetworks)
	if err != nil {
		return fmt.Errorf("webhooks.allow_networks: %v", err)
	}
	a.allow = allow
	b, err := backend.New(st, backend.Options{
		Alipay: a.cfg.Alipay, WeChat: a.cfg.WeChat, MasterKey: a.cfg.MasterKey, Clock: o.Clock, Logger: a.log,
		OnChannelCall: a.metrics.ObserveAlipayCall, OnCertEvent: a.metrics.ObserveAlipayCertEvent, WrapChannel: o.WrapChannel,
		Breaker: &a.cfg.Breaker, OnBreakerState: a.metrics.SetAlipayBreakerState,
		Payment: payment.Config{PublicURL: a.PublicURL(), ConfirmWithQuery: a.cfg.ConfirmWithQuery(),
			LatePayment: a.cfg.LatePayment, DefaultTimeout: a.cfg.DefaultTimeout, CheckSchedule: a.cfg.Reconciler.Schedule,
			WebhookAllowNetworks: allow},
	})
	if err != nil {
		return err
	}
	a.svc, a.channel, a.wechat = b.Service, b.Channel, b.WeChat
	a.svc.OnNotification(a.metrics.ObserveNotification)
	a.notes = notifier.New(st)
	a.svc.OnChange(a.notes.Publish)
	a.waiter = newDrainWaiter(a.notes, st)
	return nil
}

// listen opens the listeners the configuration names (the main one unless given, TLS,
// metrics) for the servers of h.
func (a *App) listen(h http.Handler) error {
	a.srv = NewServer(h, a.log)
	if len(a.served) == 0 {
		ln, err := listenOn(a.cfg.Listen, config.DefaultListen)
		if err != nil {
			return err
		}
		a.served = append(a.served, served{ln: ln})
	}
	a.served[0].srv = a.srv
	if t := a.cfg.TLS; t.Listen != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return fmt.Errorf("tls: %v", err)
		}
		a.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln, err := listenOn(t.Listen, "")
		if err != nil {
			return err
		}
		a.served = append(a.served, served{ln: ln, srv: a.srv, tls: true})
	}
	if addr := a.cfg.Metrics.Listen; addr != "" {
		ln, err := listenOn(addr, "")
		if err != nil {
			return fmt.Errorf("metrics.%v", err)
		}
		a.metSrv = newMetricsServer(a.metrics.Handler(), a.log)
		a.served = append(a.served, served{ln: ln, srv: a.metSrv})
	}
	a.failed = make(chan error, len(a.served))
	return nil
}

func listenOn(addr, fallback string) (net.Listener, error) {
	if addr == "" {
		addr = fallback
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %v", addr, err)
	}
	return ln, nil
}

func clockOr(c payment.Clock) payment.Clock {
	if c == nil {
		return payment.SystemClock{}
	}
	return c
}

// PublicURL is how Alipay and buyers reach the gateway (public_url without a trailing slash).
func (a *App) PublicURL() string { return strings.TrimRight(a.cfg.PublicURL, "/") }

// URL is the base URL of the main listener, http://host:port.
func (a *App) URL() string { return "http://" + a.served[0].ln.Addr().String() }

// MetricsURL is the base URL of the metrics listener; "" when metrics.listen is not set.
func (a *App) MetricsURL() string {
	for _, s := range a.served {
		if s.srv == a.metSrv && a.metSrv != nil {
			return "http://" + s.ln.Addr().String()
		}
	}
	return ""
}

// Service is the gateway's payment service.
func (a *App) Service() *payment.Service { return a.svc }

// Store is the gateway's open store; Stop closes it.
func (a *App) Store() payment.Store { return a.store }

// Channel is the real Alipay channel, unwrapped.
func (a *App) Channel() *alipay.Channel { return a.channel }

// WeChat is the real WeChat Pay channel, unwrapped; nil when wechat.* is not configured.
func (a *App) WeChat() *wechatpay.Channel { return a.wechat }

// closeAll closes what New opened, for a failed New and the end of Stop.
func (a *App) closeAll() {
	for _, s := range a.served {
		_ = s.ln.Close()
	}
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	if a.store != nil {
		_ = a.store.Close()
	}
	a.flushTraces()
}

// errNotStartable is Start after Start or Stop.
var errNotStartable = errors.New("app: Start after Start or Stop")
