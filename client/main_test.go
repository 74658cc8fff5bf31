package client_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/f2fpay/f2fpay/internal/app"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

// The gateway the examples talk to, started by TestMain: a real f2fpay built by internal/app
// (SQLite, the Alipay channel over the SDK, the payment service, the workers and the
// merchant API) with the Alipay simulator mounted under /sandbox on the same server.
var (
	gatewayURL    string // base URL of the merchant API
	appID         string // the examples' merchant API client
	secret        string // its API secret, which signs its requests
	webhookSecret string // its webhook secret (whsec_…), which signs the webhooks it receives
	gw            *exampleGateway
)

func TestMain(m *testing.M) {
	var code int
	g, err := startExampleGateway(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "client examples: cannot start the gateway:", err)
		code = 1
	} else {
		gw, gatewayURL, appID, secret, webhookSecret = g, g.url(), g.appID, g.secrets.API, g.secrets.Webhook
		code = m.Run()
		g.close()
	}
	os.Exit(code)
}

const exampleAlipayApp = "2021000000000077"

// exampleGateway is the in-process gateway of the examples: f2fpay as internal/app builds it
// for `f2fpay serve` (it is built here, not with internal/testenv, because Example functions
// have no *testing.T to hand to it).
type exampleGateway struct {
	app     *app.App
	sb      *sandbox.Sandbox
	dir     string
	appID   string
	secrets payment.Secrets
}

// startExampleGateway builds and starts the gateway and creates one merchant API client.
func startExampleGateway(ctx context.Context) (*exampleGateway, error) {
	g := &exampleGateway{}
	ok := false
	defer func() {
		if !ok {
			g.close()
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	if g.sb, err = sandbox.New(sandbox.Config{BaseURL: base}); err != nil {
		ln.Close()
		return nil, err
	}
	priv, err := g.registerApp()
	if err != nil {
		ln.Close()
		return nil, err
	}
	if g.dir, err = os.MkdirTemp("", "f2fpay-client-examples-"); err != nil {
		ln.Close()
		return nil, err
	}
	cfg := config.Config{
		PublicURL: base, Database: "sqlite:" + filepath.Join(g.dir, "f2fpay.db"), MasterKey: secretbox.NewKey(),
		Alipay: config.AlipayConfig{AppID: exampleAlipayApp, PrivateKey: priv, AlipayPublicKey: g.sb.AlipayPublicKeyPEM(),
			Gateway: base + "/sandbox/gateway.do", SellerID: g.sb.SellerID(exampleAlipayApp)},
	}
	// The examples' webhook receivers run in this process, on loopback: opted in, as the
	// demo does (docs/security.md).
	cfg.Webhooks.AllowNetworks = []string{"127.0.0.0/8", "::1/128"}
	if g.app, err = app.New(ctx, app.Options{Config: cfg, Listener: ln, Sandbox: g.sb}); err != nil {
		return nil, err
	}
	m, secrets, err := g.app.Service().CreateMerchantWithSecrets(ctx, "client examples", "")
	if err != nil {
		return nil, err
	}
	if err := g.app.Start(ctx); err != nil {
		return nil, err
	}
	g.appID, g.secrets, ok = m.AppID, secrets, true
	return g, nil
}

// url is the gateway's base URL.
func (g *exampleGateway) url() string { return g.app.URL() }

// registerApp registers a fresh app key with the simulator and returns its private key PEM.
func (g *exampleGateway) registerApp() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	if err := g.sb.RegisterApp(exampleAlipayApp, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))); err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})), nil
}

// close stops the gateway (its webhook deliveries in flight finish), then the simulator,
// and removes the database.
func (g *exampleGateway) close() {
	if g.app != nil {
		ctx, cancel := context.WithTimeout(context.Background(), config.DefaultShutdownTimeout)
		_ = g.app.Stop(ctx)
		cancel()
	}
	if g.sb != nil {
		g.sb.Close()
	}
	if g.dir != "" {
		_ = os.RemoveAll(g.dir)
	}
}

var orderSeq atomic.Int64

// newOrderNo returns an out_trade_no no example has used in this process, so that the
// examples also pass under -count=N against the one gateway.
func newOrderNo() string { return fmt.Sprintf("EX_%d", orderSeq.Add(1)) }

// buyerPays is the buyer scanning the order's QR and paying in the Alipay app: here the
// simulator, which then sends Alipay's signed notification to the gateway.
func buyerPays(outTradeNo string) {
	if _, err := gw.sb.Pay(exampleAlipayApp, outTradeNo, sandbox.OutcomeSuccess); err != nil {
		panic("sandbox pay: " + err.Error())
	}
}
