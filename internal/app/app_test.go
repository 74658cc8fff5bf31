package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/version"
)

const testAlipayAppID = "2021000000000001"

var appKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// bundle is a started gateway with the sandbox as its Alipay, and a merchant client of it.
type bundle struct {
	app    *App
	sb     *sandbox.Sandbox
	client *client.Client
}

// setup builds and starts a gateway; change edits its configuration, opts its options.
// t.Cleanup stops it.
func setup(t *testing.T, change func(*config.Config), opts ...func(*Options)) *bundle {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	// Alipay is a server of its own, as in serve, so that it outlives the gateway's listener.
	var sbh atomic.Pointer[sandbox.Sandbox]
	sbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(w, r) }))
	t.Cleanup(sbSrv.Close)
	sb, err := sandbox.New(sandbox.Config{BaseURL: sbSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sbh.Store(sb)
	t.Cleanup(sb.Close)
	key, err := appKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	priv, _ := x509.MarshalPKCS8PrivateKey(key)
	if err := sb.RegisterApp(testAlipayAppID, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{PublicURL: url, Database: "sqlite:" + filepath.Join(t.TempDir(), "f2fpay.db"), MasterKey: secretbox.NewKey(),
		Alipay: config.AlipayConfig{AppID: testAlipayAppID, PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
			AlipayPublicKey: sb.AlipayPublicKeyPEM(), Gateway: sbSrv.URL + "/sandbox/gateway.do"}}
	if change != nil {
		change(&cfg)
	}
	o := Options{Config: cfg, Listener: ln}
	for _, f := range opts {
		f(&o)
	}
	a, err := New(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, a) })
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c, secret, err := a.Service().CreateMerchant(t.Context(), "test", "")
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{app: a, sb: sb, client: client.New(a.URL(), c.AppID, secret)}
}

// stop stops a within a generous deadline and fails the test on an error.
func stop(t *testing.T, a *App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// get answers a GET's status and body; status 0 when the request failed.
func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNewBuildsAWorkingGateway: an order made through the API gets its QR from the sandbox;
// its precreate call is already in the store (the channel writes to the open store, with
// nothing attached later), and /health names the build.
func TestNewBuildsAWorkingGateway(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	p, created, err := b.client.Create(t.Context(), client.CreateRequest{OutTradeNo: "app_1", TotalAmount: "9.90", Subject: "s"})
	if err != nil || !created || p.QRCode == "" {
		t.Fatalf("create: %+v %v %v", p, created, err)
	}
	calls, err := b.app.Store().ListChannelCalls(t.Context(), "app_1", 10)
	if err != nil || len(calls) != 1 || calls[0].Method != "alipay.trade.precreate" || calls[0].Outcome != "ok" {
		t.Fatalf("channel calls of app_1: %+v %v", calls, err)
	}
	status, body := get(b.app.URL() + "/health")
	var h struct{ Status, Version string }
	if status != 200 || json.Unmarshal([]byte(body), &h) != nil || h.Status != "ok" || h.Version != version.Version {
		t.Fatalf("/health: %d %s; want version %q", status, body, version.Version)
	}
	if b.app.PublicURL() != b.app.URL() || b.app.Channel() == nil {
		t.Fatalf("public URL %q, URL %q", b.app.PublicURL(), b.app.URL())
	}
}

// TestNewFailsCleanly: a start-up error names its cause and leaves nothing open, so the
// same listener address and database can be used at once.
func TestNewFailsCleanly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Config{Listen: "127.0.0.1:0", Database: "sqlite:" + filepath.Join(dir, "f2fpay.db"), MasterKey: secretbox.NewKey(),
		Alipay: config.AlipayConfig{AppID: testAlipayAppID, PrivateKey: "not a key", AlipayPublicKey: "nor this"}}
	for name, c := range map[string]struct {
		change func(*config.Config)
		want   string
	}{
		"bad key":        {func(*config.Config) {}, "private key"},
		"no database":    {func(c *config.Config) { c.Database = "" }, "database: empty DSN"},
		"bad master key": {func(c *config.Config) { c.MasterKey = "short" }, "master key must be 32 bytes"},
		"bad proxy":      {func(c *config.Config) { c.TrustedProxies = []string{"x"} }, "trusted_proxies"},
	} {
		cfg := cfg
		c.change(&cfg)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(t.Context(), Options{Config: cfg, Listener: ln})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", name, err, c.want)
		}
		if again, err := net.Listen("tcp", ln.Addr().String()); err != nil {
			t.Errorf("%s: the listener was left open: %v", name, err)
		} else {
			again.Close()
		}
	}
}

// TestStartTwice: a gateway starts once; a stopped one never again.
func TestStartTwice(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	if err := b.app.Start(t.Context()); err != errNotStartable {
		t.Fatalf("second Start: %v", err)
	}
	stop(t, b.app)
	if err := b.app.Start(t.Context()); err != errNotStartable {
		t.Fatalf("Start after Stop: %v", err)
	}
	if _, err := b.app.Store().GetOrder(context.Background(), "x"); err == nil || err == payment.ErrNotFound {
		t.Fatalf("the store is still open after Stop: %v", err)
	}
}

// TestBreakerIsWired: the channel runs behind the circuit breaker with the configured
// settings. An unknown outcome opens it (failures: 1); then a create is refused before its
// order is written or Alipay is called, and the metrics gauge says open.
func TestBreakerIsWired(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *config.Config) {
		c.Breaker = config.BreakerConfig{Failures: 1, OpenFor: time.Hour}
		c.Metrics.Public = true
	})
	b.sb.SetFaults(sandbox.Faults{Seed: 1, GatewaySystemError: 1, Methods: []string{"alipay.trade.precreate"}})
	for _, no := range []string{"breaker_1", "breaker_2"} {
		_, _, err := b.client.Create(t.Context(), client.CreateRequest{OutTradeNo: no, TotalAmount: "1.00", Subject: "s"})
		var apiErr *client.Error
		if !errors.As(err, &apiErr) || apiErr.Status != 503 || apiErr.Code != "UPSTREAM_UNAVAILABLE" {
			t.Fatalf("create %s: %v; want 503 UPSTREAM_UNAVAILABLE", no, err)
		}
	}
	if _, err := b.app.Store().GetOrder(t.Context(), "breaker_2"); err != payment.ErrNotFound {
		t.Fatalf("the refused create left an order: %v", err)
	}
	if calls, _ := b.app.Store().ListChannelCalls(t.Context(), "breaker_2", 10); len(calls) != 0 {
		t.Fatalf("the refused create called Alipay: %+v", calls)
	}
	if _, body := get(b.app.URL() + "/metrics"); !strings.Contains(body, "\nf2fpay_alipay_breaker_state 2\n") {
		t.Fatalf("breaker gauge not open:\n%s", body)
	}
}
