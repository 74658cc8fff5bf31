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
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/f2fpay/f2fpay/internal/app"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

// demoState is {data-dir}/demo.json: what scripts need to drive a running demo.
type demoState struct {
	BaseURL       string `json:"base_url"`
	AppID         string `json:"app_id"`
	Secret        string `json:"secret"`
	WebhookSecret string `json:"webhook_secret"` // verifies the demo client's webhooks (client.VerifyWebhook)
	AdminPassword string `json:"admin_password"`
	AlipayAppID   string `json:"alipay_app_id"`
}

const demoAlipayAppID = "9021000000000001"

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	dataDir := fs.String("data-dir", config.DefaultDataDir, "directory for keys, database and demo.json")
	database := fs.String("database", "", "database DSN (default sqlite:{data-dir}/f2fpay.db)")
	workers := fs.Bool("workers", true, "run the webhook and reconciler workers (false: a still database, for tests)")
	redisURL := fs.String("redis", "", "Redis URL for shared nonces and rate limits (F2FPAY_REDIS)")
	natsURL := fs.String("nats", "", "NATS URL to publish events to JetStream (F2FPAY_NATS)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// F2FPAY_RATE_LIMIT_*, F2FPAY_TRUSTED_PROXIES, F2FPAY_WEBHOOK_*, F2FPAY_RECONCILE_*,
	// F2FPAY_LATE_PAYMENT, F2FPAY_DATABASE_* (pool), F2FPAY_SHUTDOWN_*, F2FPAY_BREAKER_*,
	// F2FPAY_REDIS and F2FPAY_NATS apply to the demo too; its keys, database and URL are its own.
	env, err := config.Load("", os.Getenv)
	if err == nil {
		err = env.CheckTuning()
	}
	if err != nil {
		return fail(stderr, "demo: %v", err)
	}
	scaleFlags{database: new(string), redis: redisURL, nats: natsURL}.apply(env)
	d, err := startDemo(ctx, demoFlags{listen: *listen, dataDir: *dataDir, database: *database, noWorkers: !*workers},
		env, newLogger(stderr, "text"))
	if err != nil {
		return fail(stderr, "demo: %v", err)
	}
	defer d.close()
	fmt.Fprintf(stdout, `f2fpay demo is running (Alipay and WeChat Pay = embedded sandboxes)

  gateway:        %s
  merchant app:   %s
  secret:         %s
  webhook secret: %s
  first order:    %s
  buyer page:     %s
  WeChat order:   %s
  buyer page:     %s
  console:        %s/admin
  admin password: %s
  sandbox:        %s/sandbox/api/trades
  WeChat sandbox: %s/sandbox/wechat/api/trades
  state file:     %s

Ctrl-C stops it; restarting on the same --data-dir keeps every order and credential.
`, d.state.BaseURL, d.state.AppID, d.state.Secret, d.state.WebhookSecret, d.firstOrder.cashier, d.firstOrder.qr,
		d.wechatOrder.cashier, d.wechatOrder.qr, d.state.BaseURL, d.state.AdminPassword, d.state.BaseURL, d.state.BaseURL,
		filepath.Join(*dataDir, "demo.json"))
	if err := d.app.Wait(ctx); err != nil {
		return fail(stderr, "demo: %v", err)
	}
	return 0
}

// demoFlags are the demo's own command-line settings.
type demoFlags struct {
	listen, dataDir, database string
	noWorkers                 bool
}

type demo struct {
	state       demoState
	app         *app.App
	sandbox     *sandbox.Sandbox
	wxSandbox   *wechat.Sandbox
	firstOrder  struct{ cashier, qr string }
	wechatOrder struct{ cashier, qr string } // the first WeChat Pay order
}

// startDemo makes or reuses the keys, sandbox, database and demo client in the data dir,
// and starts the gateway with the sandbox as its Alipay. env carries the tuning settings.
func startDemo(ctx context.Context, f demoFlags, env *config.Config, log *slog.Logger) (*demo, error) {
	if err := os.MkdirAll(f.dataDir, 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return nil, err
	}
	d := &demo{state: loadDemoState(f.dataDir)}
	d.state.BaseURL = "http://" + ln.Addr().String()
	d.state.AlipayAppID = demoAlipayAppID
	if d.state.AdminPassword == "" {
		d.state.AdminPassword = payment.RandomToken(16)
	}
	cfg, err := d.configure(f, env, log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	d.app, err = app.New(ctx, app.Options{Config: *cfg, Logger: log, Listener: ln, Sandbox: sandboxes(d.sandbox, d.wxSandbox), NoWorkers: f.noWorkers})
	if err != nil {
		d.close()
		return nil, err
	}
	if err := d.ensureClient(ctx, f.dataDir); err != nil {
		d.close()
		return nil, err
	}
	if err := d.app.Start(ctx); err != nil {
		d.close()
		return nil, err
	}
	if err := d.createFirstOrder(ctx); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// configure makes the app keys (once), starts the sandbox with the demo's Alipay app, and
// returns the gateway's configuration: env's tuning, the demo's own keys, database and URL.
func (d *demo) configure(f demoFlags, env *config.Config, log *slog.Logger) (*config.Config, error) {
	keyDir := filepath.Join(f.dataDir, "keys")
	if _, err := os.Stat(filepath.Join(keyDir, appPrivateFile)); errors.Is(err, os.ErrNotExist) {
		if _, _, err := writeAppKeys(keyDir); err != nil {
			return nil, err
		}
	}
	privPEM, err1 := os.ReadFile(filepath.Join(keyDir, appPrivateFile))
	pubPEM, err2 := os.ReadFile(filepath.Join(keyDir, appPublicFile))
	masterKey, err3 := secretbox.LoadOrCreateKeyFile(filepath.Join(f.dataDir, "master.key"))
	adminHash, err4 := bcrypt.GenerateFromPassword([]byte(d.state.AdminPassword), bcrypt.DefaultCost)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, err
	}
	sb, err := sandbox.New(sandbox.Config{DataDir: filepath.Join(f.dataDir, "sandbox"), BaseURL: d.state.BaseURL,
		Logger: log.With(slog.String("component", "sandbox"))})
	if err == nil {
		d.sandbox = sb
		err = sb.RegisterApp(demoAlipayAppID, string(pubPEM))
	}
	if err != nil {
		d.close()
		return nil, fmt.Errorf("sandbox: %v", err)
	}
	wxSandbox, wx, err := startDemoWeChat(f.dataDir, d.state.BaseURL, log)
	if err != nil {
		d.close()
		return nil, fmt.Errorf("wechat sandbox: %v", err)
	}
	d.wxSandbox = wxSandbox
	cfg := &config.Config{
		PublicURL: d.state.BaseURL, Database: f.database, MasterKey: masterKey,
		Alipay: config.AlipayConfig{AppID: demoAlipayAppID, PrivateKey: string(privPEM), AlipayPublicKey: sb.AlipayPublicKeyPEM(),
			Gateway: d.state.BaseURL + "/sandbox/gateway.do", SellerID: sb.SellerID(demoAlipayAppID)},
		WeChat:  wx,
		Admin:   config.AdminConfig{PasswordHash: string(adminHash), MerchantName: "f2fpay demo shop"},
		Metrics: config.MetricsConfig{Public: true}, // the demo has one listener, for everything
		// The tuning the environment may give the demo too.
		DatabasePool: env.DatabasePool, RedisURL: env.RedisURL, Events: env.Events, LatePayment: env.LatePayment,
		Webhooks: env.Webhooks, Reconciler: env.Reconciler, RateLimit: env.RateLimit, TrustedProxies: env.TrustedProxies,
		Shutdown: env.Shutdown, Breaker: env.Breaker, Reconcile: env.Reconcile,
	}
	// Webhook receivers on this machine (a developer's own server) are the demo's usual case.
	cfg.Webhooks.AllowNetworks = append(cfg.Webhooks.AllowNetworks, "127.0.0.0/8", "::1/128")
	if cfg.Database == "" {
		cfg.Database = "sqlite:" + filepath.Join(f.dataDir, "f2fpay.db")
	}
	return cfg, nil
}

func loadDemoState(dataDir string) demoState {
	var s demoState
	if b, err := os.ReadFile(filepath.Join(dataDir, "demo.json")); err == nil {
		_ = json.Unmarshal(b, &s)
	}
	return s
}

// ensureClient keeps the demo client of an earlier run, or creates one, and writes demo.json.
// A kept client whose webhook secret demo.json lacks (a data dir from before webhook
// secrets) gets a new one, revoking the old at once: nobody but this file holds it.
func (d *demo) ensureClient(ctx context.Context, dataDir string) error {
	svc := d.app.Service()
	if d.state.AppID != "" {
		if _, secrets, err := svc.MerchantSecrets(ctx, d.state.AppID); err == nil && string(secrets[0]) == d.state.Secret {
			if wh, err := svc.WebhookSecrets(ctx, d.state.AppID); err != nil || string(wh[0]) != d.state.WebhookSecret {
				if d.state.WebhookSecret, err = svc.RotateWebhookSecret(ctx, d.state.AppID, 0); err != nil {
					return err
				}
			}
			return writeDemoState(dataDir, d.state)
		}
	}
	c, secrets, err := svc.CreateMerchantWithSecrets(ctx, "demo", "")
	if err != nil {
		return err
	}
	d.state.AppID, d.state.Secret, d.state.WebhookSecret = c.AppID, secrets.API, secrets.Webhook
	return writeDemoState(dataDir, d.state)
}

func writeDemoState(dataDir string, s demoState) error {
	b, _ := json.MarshalIndent(s, "", "  ")
	return os.WriteFile(filepath.Join(dataDir, "demo.json"), append(b, '\n'), 0o600)
}

// createFirstOrder creates a first order on each channel, for the banner.
func (d *demo) createFirstOrder(ctx context.Context) error {
	for _, o := range []struct {
		channel, prefix string
		out             *struct{ cashier, qr string }
	}{{payment.ChannelAlipay, "demo", &d.firstOrder}, {payment.ChannelWeChat, "demo_wx", &d.wechatOrder}} {
		suffix := make([]byte, 3)
		_, _ = rand.Read(suffix)
		no := fmt.Sprintf("%s_%s_%x", o.prefix, time.Now().UTC().Format("20060102150405"), suffix)
		ord, _, err := d.app.Service().Create(ctx, d.state.AppID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 990,
			Subject: "f2fpay demo order", Channel: o.channel})
		if err != nil {
			return fmt.Errorf("first demo order (%s): %v", o.channel, err)
		}
		v := payment.PaymentView(ord, d.state.BaseURL)
		o.out.cashier, o.out.qr = v.CashierURL, v.QRCode
		if pr, ok := strings.CutPrefix(v.QRCode, "weixin://wxpay/bizpayurl?pr="); ok {
			o.out.qr = d.state.BaseURL + "/sandbox/wechat/scan/" + pr // the sandbox's buyer page for the code_url
		}
	}
	return nil
}

// close stops the gateway (at once when Wait has not already stopped it) and the sandbox.
func (d *demo) close() {
	if d.app != nil {
		ctx, cancel := context.WithTimeout(context.Background(), config.DefaultShutdownTimeout)
		_ = d.app.Stop(ctx)
		cancel()
	}
	if d.sandbox != nil {
		d.sandbox.Close()
	}
	if d.wxSandbox != nil {
		d.wxSandbox.Close()
	}
}
