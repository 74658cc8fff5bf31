package app

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestStopDrains: during shutdown.drain /ready answers 503 "draining" while /health and the
// merchant API still answer; when the drain ends the gateway stops and closes its listener.
func TestStopDrains(t *testing.T) {
	t.Parallel()
	// The drain is long; a second Stop ends it once the test has seen it.
	b := setup(t, func(c *config.Config) { c.Shutdown.Drain = time.Hour })
	if status, _ := get(b.app.URL() + "/ready"); status != 200 {
		t.Fatalf("/ready before stop: %d", status)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- b.app.Stop(context.Background()) }()
	testutil.WaitFor(t, 0, "/ready to answer 503 while draining", func() bool {
		status, body := get(b.app.URL() + "/ready")
		return status == 503 && body == `{"status":"draining"}`
	})
	if status, _ := get(b.app.URL() + "/health"); status != 200 {
		t.Fatalf("/health while draining: %d", status)
	}
	if _, _, err := b.client.Create(t.Context(), client.CreateRequest{OutTradeNo: "drain_1", TotalAmount: "1.00", Subject: "s"}); err != nil {
		t.Fatalf("create while draining: %v", err)
	}
	stop(t, b.app) // the second Stop: ends the drain, returns when the first does
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	if status, _ := get(b.app.URL() + "/health"); status != 0 {
		t.Fatalf("/health after stop: %d; want no answer", status)
	}
}

// gatedChannel holds every Precreate until the test opens the gate, and says when one waits.
type gatedChannel struct {
	payment.Channel
	entered chan struct{}
	gate    chan struct{}
}

func (g gatedChannel) Precreate(ctx context.Context, r payment.PrecreateRequest) (string, error) {
	g.entered <- struct{}{}
	<-g.gate
	return g.Channel.Precreate(ctx, r)
}

// TestStopFinishesInFlightRequest: a create in flight when Stop closes the listener still
// completes; its client gets 201 and the order is stored whole (with its QR).
func TestStopFinishesInFlightRequest(t *testing.T) {
	t.Parallel()
	g := gatedChannel{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	b := setup(t, nil, func(o *Options) {
		o.WrapChannel = func(ch payment.Channel) payment.Channel { g.Channel = ch; return g }
	})
	var created atomic.Bool
	answered := make(chan error, 1)
	go func() {
		p, ok, err := b.client.Create(context.Background(), client.CreateRequest{OutTradeNo: "inflight_1", TotalAmount: "1.00", Subject: "s"})
		created.Store(ok && err == nil && p.QRCode != "")
		answered <- err
	}()
	<-g.entered
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		stopped <- b.app.Stop(ctx)
	}()
	testutil.WaitFor(t, 0, "the listener to close", func() bool { status, _ := get(b.app.URL() + "/health"); return status == 0 })
	close(g.gate)
	if err := <-answered; err != nil || !created.Load() {
		t.Fatalf("in-flight create: created=%v err=%v", created.Load(), err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
}
