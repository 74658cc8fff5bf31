package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/f2fpay/f2fpay/internal/version"
)

// Start starts the workers and serves every listener in the background. ctx only carries
// values: cancelling it stops nothing (Stop does). It fails when called twice or after Stop.
func (a *App) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started || a.draining.Load() {
		return errNotStartable
	}
	a.started = true
	bg := context.WithoutCancel(ctx)
	for _, w := range a.workers {
		w.Start(bg)
	}
	for _, s := range a.served {
		go a.serve(s)
	}
	attrs := []any{slog.String("listen", a.served[0].ln.Addr().String()), slog.String("public_url", a.PublicURL()),
		slog.String("version", version.Version)}
	if u := a.MetricsURL(); u != "" {
		attrs = append(attrs, slog.String("metrics", u+"/metrics"))
	}
	a.log.Info("f2fpay serving", attrs...)
	return nil
}

// serve serves one listener until Stop; any other end is reported on a.failed.
func (a *App) serve(s served) {
	var err error
	if s.tls {
		a.log.Info("f2fpay serving TLS", slog.String("listen", s.ln.Addr().String()))
		err = s.srv.ServeTLS(s.ln, "", "")
	} else {
		err = s.srv.Serve(s.ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.failed <- fmt.Errorf("serving %s: %v", s.ln.Addr(), err)
	}
}

// Wait blocks until ctx ends or a listener fails, then stops the gateway gracefully within
// shutdown.drain + shutdown.timeout. It returns the listener's failure and Stop's error.
func (a *App) Wait(ctx context.Context) error {
	var failed error
	select {
	case <-ctx.Done():
	case failed = <-a.failed:
		a.log.Error("listener failed; stopping", slog.Any("err", failed))
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), a.cfg.Shutdown.Drain+a.cfg.Shutdown.StopTimeout())
	defer cancel()
	return errors.Join(failed, a.Stop(stopCtx))
}

// Run is Start, then Wait: it serves until ctx ends and returns after a graceful stop.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	return a.Wait(ctx)
}

// Stop drains and stops the gateway; later calls return the first call's result. In order:
// /ready answers 503 while for shutdown.drain everything else is still served, so that a
// load balancer can move new work elsewhere; then held ?wait queries are answered with the
// order as it is, the listeners close, and in-flight requests and worker passes finish;
// last, the shared stores and the database close. ctx bounds it all: what is still running
// at its end is cut off (requests) or left to the process's exit (workers), and reported.
//
// A Stop while another is draining ends the drain at once (an impatient second Ctrl-C).
func (a *App) Stop(ctx context.Context) error {
	if a.draining.Load() {
		a.endDrainOnce.Do(func() { close(a.endDrain) })
	}
	a.stopOnce.Do(func() { a.stopErr = a.stop(ctx) })
	return a.stopErr
}

func (a *App) stop(ctx context.Context) error {
	a.mu.Lock()
	a.draining.Store(true)
	started := a.started
	a.mu.Unlock()
	if !started {
		a.closeAll()
		return nil
	}
	if d := a.cfg.Shutdown.Drain; d > 0 {
		a.log.Info("draining: /ready answers 503", slog.Duration("for", d))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-a.endDrain:
		case <-ctx.Done():
		}
		t.Stop()
	}
	a.waiter.drain()
	var errs []error
	for _, srv := range []*http.Server{a.srv, a.metSrv} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
			errs = append(errs, fmt.Errorf("requests still in flight were cut off: %v", err))
		}
	}
	if err := a.waiter.wait(ctx); err != nil {
		errs = append(errs, fmt.Errorf("held ?wait queries not all answered: %v", err))
	}
	if err := a.stopWorkers(ctx); err != nil {
		// The store stays open for them; the process's exit ends them.
		return errors.Join(append(errs, err)...)
	}
	a.closeAll()
	a.log.Info("f2fpay stopped")
	return errors.Join(errs...)
}

// stopWorkers stops the workers in order, each after its pass in progress, until ctx ends.
func (a *App) stopWorkers(ctx context.Context) error {
	if len(a.workers) == 0 {
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, w := range a.workers {
			w.Stop()
		}
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("workers still in a pass at the shutdown deadline: %v", ctx.Err())
	}
}
