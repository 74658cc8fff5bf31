package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/config"
)

// TestStartGateway: the bench's gateway (internal/app with the sandbox mounted) takes a
// signed create, gets the QR from the sandbox, and stops cleanly.
func TestStartGateway(t *testing.T) {
	ctx := context.Background()
	g, err := startGateway(ctx, t.TempDir(), config.RateLimitConfig{ClientRate: 10, ClientBurst: 20})
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(ctx, g, "test")
	if err != nil {
		g.close()
		t.Fatal(err)
	}
	p, created, err := c.Create(ctx, client.CreateRequest{OutTradeNo: "bench_test", TotalAmount: "9.90", Subject: "bench"})
	if err != nil || !created || p.QRCode == "" {
		g.close()
		t.Fatalf("create: %+v %v %v", p, created, err)
	}
	url := g.URL()
	g.close()
	if resp, err := http.Get(url + "/health"); err == nil {
		resp.Body.Close()
		t.Fatal("the gateway still answers after close")
	}
}
