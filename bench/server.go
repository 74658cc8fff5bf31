package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"path/filepath"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// gateway is the real HTTP stack (httpapi + payment + SQLite + the in-memory limiter),
// with the simulator as Alipay, served on a loopback port.
type gateway struct {
	url     string
	svc     *payment.Service
	srv     *http.Server
	closers []func()
}

func startGateway(ctx context.Context, dir string, limit ratelimit.Config) (*gateway, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only, whatever the flags say
	if err != nil {
		return nil, err
	}
	g := &gateway{url: "http://" + ln.Addr().String()}
	g.closers = append(g.closers, func() { ln.Close() })
	priv, pub, err := appKeyPair()
	if err != nil {
		return nil, err
	}
	sb, err := sandbox.New(sandbox.Config{BaseURL: g.url})
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, sb.Close)
	const appID = "2021000000000001"
	if err := sb.RegisterApp(appID, pub); err != nil {
		return nil, err
	}
	ch, err := alipay.New(alipay.Config{AppID: appID, PrivateKey: priv, AlipayPublicKey: sb.AlipayPublicKeyPEM(),
		GatewayURL: g.url + "/sandbox/gateway.do"})
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, func() { st.Close() })
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		return nil, err
	}
	g.svc = payment.NewService(st, ch, box, nil, payment.Config{PublicURL: g.url, ConfirmWithQuery: true}, nil)
	limits := ratelimit.NewPolicy(ratelimit.NewMemory(nil), limit)
	h := httpapi.New(httpapi.Config{Service: g.svc, Limiter: limits, IPLimiter: limits,
		Extra: func(e *gin.Engine) { e.Any("/sandbox/*path", gin.WrapH(sb)) }})
	g.srv = &http.Server{Handler: h}
	go func() { _ = g.srv.Serve(ln) }()
	return g, nil
}

func (g *gateway) close() {
	if g.srv != nil {
		_ = g.srv.Close()
	}
	for i := len(g.closers) - 1; i >= 0; i-- {
		g.closers[i]()
	}
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
