package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/payment"
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
	st, err := openStore(ctx, o.database)
	if err != nil {
		return nil, err
	}
	svc := payment.NewService(st, o.channel, box, payment.SystemClock{}, payment.Config{
		PublicURL: o.publicURL, ConfirmWithQuery: o.confirmWithQuery,
		LatePayment: o.latePayment, DefaultTimeout: o.defaultTimeout, CheckSchedule: o.reconciler.Schedule,
	}, o.log)
	wh, rc := o.webhooks, o.reconciler
	dispatcher := worker.NewDispatcher(svc, worker.DispatcherConfig{Schedule: wh.Schedule, Timeout: wh.Timeout,
		Lease: wh.Lease, Concurrency: wh.Concurrency, Logger: o.log.With("component", "webhooks")})
	reconciler := worker.NewReconciler(svc, worker.ReconcilerConfig{Poll: rc.Poll, Lease: rc.Lease,
		Logger: o.log.With("component", "reconciler")})
	dispatcher.Start(context.WithoutCancel(ctx))
	reconciler.Start(context.WithoutCancel(ctx))
	var extra func(*gin.Engine)
	if o.sandbox != nil {
		sb := gin.WrapH(o.sandbox)
		extra = func(e *gin.Engine) { e.Any("/sandbox/*path", sb) }
	}
	h := httpapi.New(httpapi.Config{Service: svc, Logger: o.log, Extra: extra})
	return &gateway{store: st, svc: svc, srv: newServer(h, o.log), log: o.log,
		workers: []interface{ Stop() }{dispatcher, reconciler}}, nil
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
