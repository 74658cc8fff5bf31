package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"path/filepath"

	"github.com/f2fpay/f2fpay/internal/app"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

// gateway is the real gateway (internal/app: HTTP stack, SQLite, the in-memory limiter),
// with the simulator as Alipay mounted on it, served on a loopback port. Its workers stay
// off, so that only the requests measured load it.
type gateway struct {
	*app.App
	sb *sandbox.Sandbox
}

func startGateway(ctx context.Context, dir string, limit config.RateLimitConfig) (*gateway, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only, whatever the flags say
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	priv, pub, err := appKeyPair()
	if err != nil {
		ln.Close()
		return nil, err
	}
	const appID = "2021000000000001"
	sb, err := sandbox.New(sandbox.Config{BaseURL: url})
	if err == nil {
		err = sb.RegisterApp(appID, pub)
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	a, err := app.New(ctx, app.Options{Listener: ln, Sandbox: sb, NoWorkers: true, Config: config.Config{
		PublicURL: url, Database: "sqlite:" + filepath.Join(dir, "bench.db"), MasterKey: secretbox.NewKey(), RateLimit: limit,
		Alipay: config.AlipayConfig{AppID: appID, PrivateKey: priv, AlipayPublicKey: sb.AlipayPublicKeyPEM(), Gateway: url + "/sandbox/gateway.do"},
	}})
	if err != nil {
		sb.Close()
		return nil, err
	}
	g := &gateway{App: a, sb: sb}
	if err := a.Start(ctx); err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

// close stops the gateway at once (nothing is in flight when the bench ends) and the sandbox.
func (g *gateway) close() {
	ctx, cancel := context.WithTimeout(context.Background(), config.DefaultShutdownTimeout)
	defer cancel()
	_ = g.Stop(ctx)
	g.sb.Close()
}

func appKeyPair() (string, string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", "", fmt.Errorf("public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), nil
}
