package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/worker"
)

type gatewayOptions struct {
	database         string
	masterKey        string
	channel          payment.Channel
	publicURL        string
	confirmWithQuery bool
	latePayment      string
	defaultTimeout   time.Duration
	log              *slog.Logger
	sandbox          http.Handler // mounted under /sandbox when set (demo)
	webhooks         WebhookConfig
	reconciler       ReconcilerConfig
	rateLimit        RateLimitConfig
	trustedProxies   []string
	noWorkers        bool // demo --workers=false: a still database for tests that compare it
	admin            AdminConfig
	calls            *callLog    // receives the store, to keep the channel's Alipay calls
	scale            scaleConfig // database pool, Redis and NATS for several instances (scale.go)
}

// gateway is one running f2fpay: store, service and HTTP server.
type gateway struct {
	store     payment.Store
	svc       *payment.Service
	srv       *http.Server
	log       *slog.Logger
	served    chan error
	listeners int
	workers   []interface{ Stop() } // webhook dispatcher and reconciler
}

func newGateway(ctx context.Context, o gatewayOptions) (*gateway, error) {
	box, err := secretbox.New(o.masterKey)
	if err != nil {
		return nil, err
	}
	if err := checkProxies(o.trustedProxies); err != nil {
		return nil, err
	}
	allow, err := payment.ParseNetworks(o.webhooks.AllowNetworks)
	if err != nil {
		return nil, fmt.Errorf("webhooks.allow_networks: %v", err)
	}
	st, err := openStoreWith(ctx, o.database, o.scale.Pool)
	if err != nil {
		return nil, err
	}
	svc := payment.NewService(st, o.channel, box, payment.SystemClock{}, payment.Config{
		PublicURL: o.publicURL, ConfirmWithQuery: o.confirmWithQuery,
		LatePayment: o.latePayment, DefaultTimeout: o.defaultTimeout, CheckSchedule: o.reconciler.Schedule,
		WebhookAllowNetworks: allow,
	}, o.log)
	notes, pages, err := newPages(svc, o)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	shared, err := openShared(ctx, o, svc)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	m := newMetrics(svc, o.calls, o.log)
	wh, rc := o.webhooks, o.reconciler
	dispatcher := worker.NewDispatcher(svc, worker.DispatcherConfig{Schedule: wh.Schedule, Timeout: wh.Timeout,
		Lease: wh.Lease, Concurrency: wh.Concurrency, AllowNetworks: allow, Logger: o.log.With("component", "webhooks"),
		OnAttempt: m.ObserveWebhookAttempt})
	reconciler := worker.NewReconciler(svc, worker.ReconcilerConfig{Poll: rc.Poll, Lease: rc.Lease,
		Logger: o.log.With("component", "reconciler")})
	workers := []interface{ Stop() }{dispatcher, reconciler}
	if o.noWorkers {
		workers = nil
	} else {
		dispatcher.Start(context.WithoutCancel(ctx))
		reconciler.Start(context.WithoutCancel(ctx))
	}
	workers = append(workers, shared.stoppers...)
	extra := func(e *gin.Engine) {
		e.GET("/metrics", gin.WrapH(m.Handler()))
		if o.sandbox != nil {
			e.Any("/sandbox/*path", gin.WrapH(o.sandbox))
		}
		pages.Mount(e)
	}
	limits := ratelimit.NewPolicy(shared.limits, ratelimit.Config{
		ClientRate: o.rateLimit.ClientRate, ClientBurst: o.rateLimit.ClientBurst,
		IPRate: o.rateLimit.IPRate, IPBurst: o.rateLimit.IPBurst,
		NotifyRate: o.rateLimit.NotifyRate, NotifyBurst: o.rateLimit.NotifyBurst, Logger: o.log.With("component", "ratelimit")})
	h := httpapi.New(httpapi.Config{Service: svc, Logger: o.log, Extra: extra, Waiter: notes,
		Limiter: limits, IPLimiter: limits, TrustedProxies: o.trustedProxies, Observe: m.ObserveHTTP})
	return &gateway{store: st, svc: svc, srv: newServer(h, o.log), log: o.log, workers: workers}, nil
}

// start serves on ln in the background; with certFile and keyFile it serves TLS there.
// It may be called twice (plain listener behind a proxy plus a TLS listener).
func (g *gateway) start(ln net.Listener, certFile, keyFile string) {
	if g.served == nil {
		g.served = make(chan error, 2)
	}
	g.listeners++
	go func() {
		var err error
		if certFile != "" {
			err = g.srv.ServeTLS(ln, certFile, keyFile)
		} else {
			err = g.srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		g.served <- err
	}()
}

// wait blocks until ctx ends (then shuts down gracefully) or the server fails.
func (g *gateway) wait(ctx context.Context) error {
	select {
	case err := <-g.served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = g.srv.Shutdown(shutdownCtx)
	var err error
	for i := 0; i < g.listeners; i++ {
		err = errors.Join(err, <-g.served)
	}
	return err
}

func (g *gateway) close() {
	_ = g.srv.Close()
	for _, w := range g.workers {
		w.Stop() // graceful: in-flight webhooks and checks finish before the store closes
	}
	_ = g.store.Close()
}

// checkProxies refuses a trusted proxy that is neither an IP nor a CIDR, so that a typo
// is a start-up error rather than a panic in httpapi.New.
func checkProxies(proxies []string) error {
	for _, p := range proxies {
		if _, _, err := net.ParseCIDR(p); err == nil {
			continue
		}
		if net.ParseIP(p) == nil {
			return fmt.Errorf("trusted_proxies: %q is neither an IP address nor a CIDR", p)
		}
	}
	return nil
}
