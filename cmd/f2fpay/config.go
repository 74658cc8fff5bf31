package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is f2fpay's configuration: YAML file, then F2FPAY_* environment variables on top;
// every secret can also come from a file named by the variable with _FILE appended.
type Config struct {
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
	Database  string `yaml:"database"`
	// DatabasePool tunes the PostgreSQL pool; RedisURL and Events.NATSURL switch on the
	// shared nonces and rate limits and event publishing of several instances (scale.go).
	DatabasePool PoolConfig `yaml:"database_pool"`
	RedisURL     string     `yaml:"redis_url"`
	Events       struct {
		NATSURL string `yaml:"nats_url"`
	} `yaml:"events"`
	DataDir   string       `yaml:"data_dir"`
	MasterKey string       `yaml:"master_key"`
	LogFormat string       `yaml:"log_format"` // json (default in serve) or text
	Alipay    AlipayConfig `yaml:"alipay"`
	Notify    struct {
		ConfirmWithQuery *bool `yaml:"confirm_with_query"`
	} `yaml:"notify"`
	LatePayment    string           `yaml:"late_payment"` // record | refund
	DefaultTimeout time.Duration    `yaml:"default_timeout"`
	Webhooks       WebhookConfig    `yaml:"webhooks"`
	Reconciler     ReconcilerConfig `yaml:"reconciler"`
	RateLimit      RateLimitConfig  `yaml:"rate_limit"`
	Admin          AdminConfig      `yaml:"admin"`
	// TrustedProxies are the reverse proxies (addresses or CIDRs) whose X-Forwarded-For
	// names the real client IP, for the per-IP limit and the audit; empty trusts none.
	TrustedProxies []string `yaml:"trusted_proxies"`
	TLS            struct {
		Listen   string `yaml:"listen"`
		CertFile string `yaml:"cert_file"`
		KeyFile  string `yaml:"key_file"`
	} `yaml:"tls"`
}

// AlipayConfig is the merchant's Alipay application.
type AlipayConfig struct {
	AppID           string        `yaml:"app_id"`
	PrivateKey      string        `yaml:"private_key"`
	AppPublicKey    string        `yaml:"app_public_key"` // optional: checked against the private key
	AlipayPublicKey string        `yaml:"alipay_public_key"`
	AppCert         string        `yaml:"app_cert"` // certificate mode: PEM text (or _file)
	AlipayCert      string        `yaml:"alipay_cert"`
	RootCert        string        `yaml:"root_cert"`
	Gateway         string        `yaml:"gateway"` // production, sandbox, or a URL
	SellerID        string        `yaml:"seller_id"`
	Timeout         time.Duration `yaml:"timeout"`
}

// WebhookConfig tunes the webhook dispatcher (SPEC §4); zero values take the defaults.
type WebhookConfig struct {
	Schedule    []time.Duration `yaml:"schedule"`    // retry waits; default 15s,1m,5m,15m,1h,2h,6h,15h
	Timeout     time.Duration   `yaml:"timeout"`     // per POST; default 10s
	Lease       time.Duration   `yaml:"lease"`       // claim held this long; default timeout+30s
	Concurrency int             `yaml:"concurrency"` // POSTs in flight; default 8
	// AllowNetworks (CIDRs) may receive webhooks although not public (docs/security.md).
	AllowNetworks []string `yaml:"allow_networks"`
}

// ReconcilerConfig tunes the reconciler (SPEC §3); zero values take the defaults.
type ReconcilerConfig struct {
	Schedule []time.Duration `yaml:"schedule"` // checks of a pending order, from creation; default 30s,1m,2m,5m
	Poll     time.Duration   `yaml:"poll"`     // look for due work; default 1s
	Lease    time.Duration   `yaml:"lease"`    // claim held this long; default 2m
}

// RateLimitConfig sets the token buckets of issue 4; zero values take the defaults (50/s
// burst 100 per client, 20/s burst 40 per IP on the cashier and console login, 200/s burst
// 400 per IP on /notify/alipay), a negative rate
// switches that limit off. A client's own rate_limit/rate_burst columns override the
// client values.
type RateLimitConfig struct {
	ClientRate  float64 `yaml:"client_rate"`
	ClientBurst int     `yaml:"client_burst"`
	IPRate      float64 `yaml:"ip_rate"`
	IPBurst     int     `yaml:"ip_burst"`
	NotifyRate  float64 `yaml:"notify_rate"`
	NotifyBurst int     `yaml:"notify_burst"`
}

// durations parses a comma-separated list such as "15s,1m,5m".
func durations(v string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("want positive durations separated by commas, got %q", v)
		}
		out = append(out, d)
	}
	return out, nil
}

// envVar binds one setting to F2FPAY_<name>; secret ones also read <name>_FILE.
type envVar struct {
	name   string
	secret bool
	set    func(*Config, string) error
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

var envVars = []envVar{
	{"LISTEN", false, str(func(c *Config) *string { return &c.Listen })},
	{"PUBLIC_URL", false, str(func(c *Config) *string { return &c.PublicURL })},
	{"DATABASE", true, str(func(c *Config) *string { return &c.Database })},
	{"REDIS", true, str(func(c *Config) *string { return &c.RedisURL })},
	{"NATS", true, str(func(c *Config) *string { return &c.Events.NATSURL })},
	{"DATABASE_SCHEMA", false, str(func(c *Config) *string { return &c.DatabasePool.Schema })},
	{"DATABASE_MAX_CONNS", false, func(c *Config, v string) error { return parseInt32(v, &c.DatabasePool.MaxConns) }},
	{"DATABASE_MIN_CONNS", false, func(c *Config, v string) error { return parseInt32(v, &c.DatabasePool.MinConns) }},
	{"DATABASE_MAX_CONN_LIFETIME", false, func(c *Config, v string) (err error) {
		c.DatabasePool.MaxConnLifetime, err = time.ParseDuration(v)
		return
	}},
	{"DATABASE_MAX_CONN_IDLE_TIME", false, func(c *Config, v string) (err error) {
		c.DatabasePool.MaxConnIdleTime, err = time.ParseDuration(v)
		return
	}},
	{"DATA_DIR", false, str(func(c *Config) *string { return &c.DataDir })},
	{"MASTER_KEY", true, str(func(c *Config) *string { return &c.MasterKey })},
	{"LOG_FORMAT", false, str(func(c *Config) *string { return &c.LogFormat })},
	{"LATE_PAYMENT", false, str(func(c *Config) *string { return &c.LatePayment })},
	{"ALIPAY_APP_ID", false, str(func(c *Config) *string { return &c.Alipay.AppID })},
	{"ALIPAY_PRIVATE_KEY", true, str(func(c *Config) *string { return &c.Alipay.PrivateKey })},
	{"ALIPAY_APP_PUBLIC_KEY", true, str(func(c *Config) *string { return &c.Alipay.AppPublicKey })},
	{"ALIPAY_PUBLIC_KEY", true, str(func(c *Config) *string { return &c.Alipay.AlipayPublicKey })},
	{"ALIPAY_APP_CERT", true, str(func(c *Config) *string { return &c.Alipay.AppCert })},
	{"ALIPAY_ALIPAY_CERT", true, str(func(c *Config) *string { return &c.Alipay.AlipayCert })},
	{"ALIPAY_ROOT_CERT", true, str(func(c *Config) *string { return &c.Alipay.RootCert })},
	{"ALIPAY_GATEWAY", false, str(func(c *Config) *string { return &c.Alipay.Gateway })},
	{"ALIPAY_SELLER_ID", false, str(func(c *Config) *string { return &c.Alipay.SellerID })},
	{"ADMIN_PASSWORD_HASH", true, str(func(c *Config) *string { return &c.Admin.PasswordHash })},
	{"ADMIN_MERCHANT_NAME", false, str(func(c *Config) *string { return &c.Admin.MerchantName })},
	{"ADMIN_SECURE_COOKIES", false, func(c *Config, v string) (err error) { c.Admin.SecureCookies, err = strconv.ParseBool(v); return }},
	{"TLS_LISTEN", false, str(func(c *Config) *string { return &c.TLS.Listen })},
	{"TLS_CERT_FILE", false, str(func(c *Config) *string { return &c.TLS.CertFile })},
	{"TLS_KEY_FILE", false, str(func(c *Config) *string { return &c.TLS.KeyFile })},
	{"NOTIFY_CONFIRM_WITH_QUERY", false, func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.Notify.ConfirmWithQuery = &b
		return err
	}},
	{"ALIPAY_TIMEOUT", false, func(c *Config, v string) (err error) { c.Alipay.Timeout, err = time.ParseDuration(v); return }},
	{"DEFAULT_TIMEOUT", false, func(c *Config, v string) (err error) { c.DefaultTimeout, err = time.ParseDuration(v); return }},
	{"WEBHOOK_SCHEDULE", false, func(c *Config, v string) (err error) { c.Webhooks.Schedule, err = durations(v); return }},
	{"WEBHOOK_TIMEOUT", false, func(c *Config, v string) (err error) { c.Webhooks.Timeout, err = time.ParseDuration(v); return }},
	{"WEBHOOK_LEASE", false, func(c *Config, v string) (err error) { c.Webhooks.Lease, err = time.ParseDuration(v); return }},
	{"WEBHOOK_CONCURRENCY", false, func(c *Config, v string) (err error) { c.Webhooks.Concurrency, err = strconv.Atoi(v); return }},
	{"WEBHOOK_ALLOW_NETWORKS", false, func(c *Config, v string) error { c.Webhooks.AllowNetworks = strings.Split(v, ","); return nil }},
	{"RECONCILE_SCHEDULE", false, func(c *Config, v string) (err error) { c.Reconciler.Schedule, err = durations(v); return }},
	{"RECONCILE_POLL", false, func(c *Config, v string) (err error) { c.Reconciler.Poll, err = time.ParseDuration(v); return }},
	{"RATE_LIMIT_CLIENT_RATE", false, func(c *Config, v string) (err error) { c.RateLimit.ClientRate, err = strconv.ParseFloat(v, 64); return }},
	{"RATE_LIMIT_CLIENT_BURST", false, func(c *Config, v string) (err error) { c.RateLimit.ClientBurst, err = strconv.Atoi(v); return }},
	{"RATE_LIMIT_IP_RATE", false, func(c *Config, v string) (err error) { c.RateLimit.IPRate, err = strconv.ParseFloat(v, 64); return }},
	{"RATE_LIMIT_IP_BURST", false, func(c *Config, v string) (err error) { c.RateLimit.IPBurst, err = strconv.Atoi(v); return }},
	{"RATE_LIMIT_NOTIFY_RATE", false, func(c *Config, v string) (err error) { c.RateLimit.NotifyRate, err = strconv.ParseFloat(v, 64); return }},
	{"RATE_LIMIT_NOTIFY_BURST", false, func(c *Config, v string) (err error) { c.RateLimit.NotifyBurst, err = strconv.Atoi(v); return }},
	{"TRUSTED_PROXIES", false, func(c *Config, v string) error {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
		return nil
	}},
	{"RECONCILE_LEASE", false, func(c *Config, v string) (err error) { c.Reconciler.Lease, err = time.ParseDuration(v); return }},
}

// LoadConfig reads path (optional when "") and applies the environment given by getenv.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	c := &Config{}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: %v", path, err)
		}
	}
	for _, v := range envVars {
		key := "F2FPAY_" + v.name
		val := getenv(key)
		if v.secret && val == "" {
			if file := getenv(key + "_FILE"); file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return nil, fmt.Errorf("config: %s_FILE: %v", key, err)
				}
				val = strings.TrimRight(string(b), "\r\n")
			}
		}
		if val == "" {
			continue
		}
		if err := v.set(c, val); err != nil {
			return nil, fmt.Errorf("config: %s: %v", key, err)
		}
	}
	return c, nil
}

// confirmWithQuery is on unless switched off explicitly (SPEC §3, as the seed asks).
func (c *Config) confirmWithQuery() bool {
	return c.Notify.ConfirmWithQuery == nil || *c.Notify.ConfirmWithQuery
}

// readSecretFile lets YAML values name a file: "file:/path" reads it.
func readMaybeFile(v string) (string, error) {
	if p, ok := strings.CutPrefix(v, "file:"); ok {
		b, err := os.ReadFile(p)
		return string(b), err
	}
	return v, nil
}
