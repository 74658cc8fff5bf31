package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

// demoState is {data-dir}/demo.json: what scripts need to drive a running demo.
type demoState struct {
	BaseURL       string `json:"base_url"`
	AppID         string `json:"app_id"`
	Secret        string `json:"secret"`
	AdminPassword string `json:"admin_password"`
	AlipayAppID   string `json:"alipay_app_id"`
}

const demoAlipayAppID = "9021000000000001"

// defaultDataDir is where demo keeps everything and where the management commands look
// when told nothing else (SPEC §1).
const defaultDataDir = "./f2fpay-data"

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	dataDir := fs.String("data-dir", defaultDataDir, "directory for keys, database and demo.json")
	database := fs.String("database", "", "database DSN (default sqlite:{data-dir}/f2fpay.db)")
	workers := fs.Bool("workers", true, "run the webhook and reconciler workers (false: a still database, for tests)")
	redisURL := fs.String("redis", "", "Redis URL for shared nonces and rate limits (F2FPAY_REDIS)")
	natsURL := fs.String("nats", "", "NATS URL to publish events to JetStream (F2FPAY_NATS)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// F2FPAY_RATE_LIMIT_*, F2FPAY_TRUSTED_PROXIES, F2FPAY_WEBHOOK_*, F2FPAY_RECONCILE_* and
	// F2FPAY_LATE_PAYMENT apply to the demo too.
	env, err := LoadConfig("", os.Getenv)
	if err != nil {
		return fail(stderr, "demo: %v", err)
	}
	log := newLogger(stderr, "text")
	tune := gatewayOptions{rateLimit: env.RateLimit, trustedProxies: env.TrustedProxies, noWorkers: !*workers,
		webhooks: env.Webhooks, reconciler: env.Reconciler, latePayment: env.LatePayment}
	tune.webhooks.AllowNetworks = append(tune.webhooks.AllowNetworks, "127.0.0.0/8", "::1") // receivers on this machine
	scaleFlags{database: new(string), redis: redisURL, nats: natsURL}.apply(env)
	tune.scale = env.scale()
	d, err := startDemo(ctx, *listen, *dataDir, *database, log, tune)
	if err != nil {
		return fail(stderr, "demo: %v", err)
	}
	defer d.close()
	fmt.Fprintf(stdout, `f2fpay demo is running (Alipay = embedded sandbox)

  gateway:        %s
  merchant app:   %s
  secret:         %s
  first order:    %s
  buyer page:     %s
  console:        %s/admin
  admin password: %s
  sandbox:        %s/sandbox/api/trades
  state file:     %s

Ctrl-C stops it; restarting on the same --data-dir keeps every order and credential.
`, d.state.BaseURL, d.state.AppID, d.state.Secret, d.firstOrder.cashier, d.firstOrder.qr,
		d.state.BaseURL, d.state.AdminPassword, d.state.BaseURL, filepath.Join(*dataDir, "demo.json"))
	if err := d.wait(ctx); err != nil {
		return fail(stderr, "demo: %v", err)
	}
	return 0
}

type demo struct {
	state      demoState
	app        *gateway
	sandbox    *sandbox.Sandbox
	firstOrder struct{ cashier, qr string }
}

// startDemo wires keys, store, sandbox, channel and service in dataDir and starts serving.
// tune carries the limits, trusted proxies and worker switch of the command line.
func startDemo(ctx context.Context, listen, dataDir, database string, log *slog.Logger, tune gatewayOptions) (*demo, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	d := &demo{}
	d.state = loadDemoState(dataDir)
	d.state.BaseURL = "http://" + ln.Addr().String()
	d.state.AlipayAppID = demoAlipayAppID
	if d.state.AdminPassword == "" {
		d.state.AdminPassword = payment.RandomToken(16)
	}
	keyDir := filepath.Join(dataDir, "keys")
	if _, err := os.Stat(filepath.Join(keyDir, appPrivateFile)); errors.Is(err, os.ErrNotExist) {
		if _, _, err := writeAppKeys(keyDir); err != nil {
			ln.Close()
			return nil, err
		}
	}
	privPEM, err1 := os.ReadFile(filepath.Join(keyDir, appPrivateFile))
	pubPEM, err2 := os.ReadFile(filepath.Join(keyDir, appPublicFile))
	masterKey, err3 := secretbox.LoadOrCreateKeyFile(filepath.Join(dataDir, "master.key"))
	if err := errors.Join(err1, err2, err3); err != nil {
		ln.Close()
		return nil, err
	}
	sb, err := sandbox.New(sandbox.Config{DataDir: filepath.Join(dataDir, "sandbox"), BaseURL: d.state.BaseURL, Logger: log.With("component", "sandbox")})
	if err == nil {
		err = sb.RegisterApp(demoAlipayAppID, string(pubPEM))
	}
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("sandbox: %v", err)
	}
	d.sandbox = sb
	if database == "" {
		database = "sqlite:" + filepath.Join(dataDir, "f2fpay.db")
	}
	calls := &callLog{}
	adminHash, err := bcrypt.GenerateFromPassword([]byte(d.state.AdminPassword), bcrypt.DefaultCost)
	if err != nil {
		ln.Close()
		sb.Close()
		return nil, err
	}
	ch, err := alipay.New(alipay.Config{
		AppID: demoAlipayAppID, PrivateKey: string(privPEM), AlipayPublicKey: sb.AlipayPublicKeyPEM(),
		GatewayURL: d.state.BaseURL + "/sandbox/gateway.do", SellerID: sb.SellerID(demoAlipayAppID),
		Logger: log.With("component", "alipay"), Recorder: calls.record,
	})
	if err != nil {
		ln.Close()
		sb.Close()
		return nil, err
	}
	d.app, err = newGateway(ctx, gatewayOptions{
		database: database, masterKey: masterKey, channel: ch, publicURL: d.state.BaseURL,
		confirmWithQuery: true, log: log, sandbox: sb,
		rateLimit: tune.rateLimit, trustedProxies: tune.trustedProxies, noWorkers: tune.noWorkers, scale: tune.scale,
		webhooks: tune.webhooks, reconciler: tune.reconciler, latePayment: tune.latePayment,
		admin: AdminConfig{PasswordHash: string(adminHash), MerchantName: "f2fpay demo shop"}, calls: calls,
	})
	if err != nil {
		ln.Close()
		sb.Close()
		return nil, err
	}
	if err := d.ensureClient(ctx, dataDir); err != nil {
		d.close()
		ln.Close()
		return nil, err
	}
	d.app.start(ln, "", "")
	if err := d.createFirstOrder(ctx); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func loadDemoState(dataDir string) demoState {
	var s demoState
	if b, err := os.ReadFile(filepath.Join(dataDir, "demo.json")); err == nil {
		_ = json.Unmarshal(b, &s)
	}
	return s
}

// ensureClient keeps the demo client of an earlier run, or creates one, and writes demo.json.
func (d *demo) ensureClient(ctx context.Context, dataDir string) error {
	if d.state.AppID != "" {
		if _, secrets, err := d.app.svc.ClientSecrets(ctx, d.state.AppID); err == nil && string(secrets[0]) == d.state.Secret {
			return writeDemoState(dataDir, d.state)
		}
	}
	c, secret, err := d.app.svc.CreateClient(ctx, "demo", "")
	if err != nil {
		return err
	}
	d.state.AppID, d.state.Secret = c.AppID, secret
	return writeDemoState(dataDir, d.state)
}

func writeDemoState(dataDir string, s demoState) error {
	b, _ := json.MarshalIndent(s, "", "  ")
	return os.WriteFile(filepath.Join(dataDir, "demo.json"), append(b, '\n'), 0o600)
}

func (d *demo) createFirstOrder(ctx context.Context) error {
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	no := fmt.Sprintf("demo-%s-%x", time.Now().UTC().Format("20060102150405"), suffix)
	o, _, err := d.app.svc.Create(ctx, d.state.AppID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 990, Subject: "f2fpay demo order"})
	if err != nil {
		return fmt.Errorf("first demo order: %v", err)
	}
	v := payment.PaymentView(o, d.state.BaseURL)
	d.firstOrder.cashier, d.firstOrder.qr = v.CashierURL, v.QRCode
	return nil
}

func (d *demo) wait(ctx context.Context) error { return d.app.wait(ctx) }

func (d *demo) close() {
	if d.app != nil {
		d.app.close()
	}
	if d.sandbox != nil {
		d.sandbox.Close()
	}
}
