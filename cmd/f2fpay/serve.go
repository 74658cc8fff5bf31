package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/payment"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file (settings also come from F2FPAY_* env)")
	over := addScaleFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := LoadConfig(*configPath, os.Getenv)
	if err != nil {
		return fail(stderr, "%v", err)
	}
	over.apply(cfg)
	if err := cfg.validate(); err != nil {
		return fail(stderr, "invalid configuration: %v", err)
	}
	log := newLogger(stderr, cfg.LogFormat)
	calls := &callLog{}
	ch, err := buildChannel(cfg, calls)
	if err != nil {
		return fail(stderr, "invalid configuration: %v", err)
	}
	g, err := newGateway(ctx, gatewayOptions{
		database: cfg.Database, masterKey: cfg.MasterKey, channel: ch, publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		confirmWithQuery: cfg.confirmWithQuery(), latePayment: cfg.LatePayment, defaultTimeout: cfg.DefaultTimeout, log: log,
		webhooks: cfg.Webhooks, reconciler: cfg.Reconciler, rateLimit: cfg.RateLimit, trustedProxies: cfg.TrustedProxies,
		admin: cfg.Admin, calls: calls, scale: cfg.scale(),
	})
	if err != nil {
		return fail(stderr, "%v", err)
	}
	defer g.close()
	if err := g.store.Ping(ctx); err != nil {
		return fail(stderr, "database unreachable: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail(stderr, "listen %s: %v", cfg.Listen, err)
	}
	g.start(ln, "", "")
	log.Info("f2fpay serving", "listen", ln.Addr().String(), "public_url", cfg.PublicURL)
	if cfg.TLS.Listen != "" {
		g.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		tln, err := net.Listen("tcp", cfg.TLS.Listen)
		if err != nil {
			return fail(stderr, "listen %s: %v", cfg.TLS.Listen, err)
		}
		g.start(tln, cfg.TLS.CertFile, cfg.TLS.KeyFile)
		log.Info("f2fpay serving TLS", "listen", tln.Addr().String())
	}
	if err := g.wait(ctx); err != nil {
		return fail(stderr, "%v", err)
	}
	fmt.Fprintln(stdout, "f2fpay stopped")
	return 0
}

// validate refuses a configuration that cannot work, naming the problem.
func (c *Config) validate() error {
	var errs []error
	need := func(v, what string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is missing", what))
		}
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	need(c.PublicURL, "public_url (F2FPAY_PUBLIC_URL)")
	need(c.Database, "database (F2FPAY_DATABASE), e.g. sqlite:/var/lib/f2fpay/f2fpay.db")
	need(c.MasterKey, "master_key (F2FPAY_MASTER_KEY or F2FPAY_MASTER_KEY_FILE)")
	need(c.Alipay.AppID, "alipay.app_id (F2FPAY_ALIPAY_APP_ID)")
	need(c.Alipay.PrivateKey, "alipay.private_key (F2FPAY_ALIPAY_PRIVATE_KEY or _FILE)")
	certMode := c.Alipay.AppCert != "" || c.Alipay.AlipayCert != "" || c.Alipay.RootCert != ""
	if certMode {
		need(c.Alipay.AppCert, "alipay.app_cert")
		need(c.Alipay.AlipayCert, "alipay.alipay_cert")
		need(c.Alipay.RootCert, "alipay.root_cert")
	} else {
		need(c.Alipay.AlipayPublicKey, "alipay.alipay_public_key (F2FPAY_ALIPAY_PUBLIC_KEY or _FILE)")
	}
	if c.PublicURL != "" && payment.CheckWebhookURL("public_url", c.PublicURL) != nil {
		errs = append(errs, errors.New("public_url must be an absolute http(s) URL"))
	}
	if c.LatePayment != "" && c.LatePayment != payment.LatePaymentRecord && c.LatePayment != payment.LatePaymentRefund {
		errs = append(errs, errors.New("late_payment must be record or refund"))
	}
	if (c.TLS.Listen != "") != (c.TLS.CertFile != "" && c.TLS.KeyFile != "") {
		errs = append(errs, errors.New("tls.listen needs tls.cert_file and tls.key_file (and the other way round)"))
	}
	if c.Alipay.PrivateKey != "" {
		if err := checkKeyPair(c.Alipay.PrivateKey, c.Alipay.AppPublicKey); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// gatewayURL resolves production, sandbox or an explicit URL.
func gatewayURL(v string) string {
	switch v {
	case "", "production":
		return ""
	case "sandbox":
		return "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
	}
	return v
}

// buildChannel builds the Alipay channel; calls receives its call records, and in
// certificate mode keeps its certificates and counts their events (certcache.go).
func buildChannel(cfg *Config, calls *callLog) (*alipay.Channel, error) {
	a := cfg.Alipay
	return alipay.New(alipay.Config{
		AppID: a.AppID, PrivateKey: a.PrivateKey, AlipayPublicKey: a.AlipayPublicKey,
		AppCertPEM: []byte(a.AppCert), AlipayCertPEM: []byte(a.AlipayCert), RootCertPEM: []byte(a.RootCert),
		GatewayURL: gatewayURL(a.Gateway), SellerID: a.SellerID, Timeout: a.Timeout, Recorder: calls.record,
		CertCache: calls, OnCertEvent: calls.certEvent,
	})
}
