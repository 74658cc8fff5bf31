// Package config is f2fpay's configuration: its types, loading from a YAML file and from
// F2FPAY_* environment variables (which win; every secret also from F2FPAY_<NAME>_FILE), and
// the validation `serve` runs before it starts. README.md's configuration table lists every
// setting; env.go binds each one to its variable.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultDataDir is where `demo` keeps everything and where the management commands look
// when told nothing else.
const DefaultDataDir = "./f2fpay-data"

// DefaultListen is the plain HTTP listener when none is configured: loopback, for a proxy.
const DefaultListen = "127.0.0.1:8080"

// DefaultShutdownTimeout bounds a graceful stop when shutdown.timeout is unset.
const DefaultShutdownTimeout = 10 * time.Second

// Config is f2fpay's whole configuration. The zero value of a setting means its default.
type Config struct {
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
	Database  string `yaml:"database"`
	// DatabasePool tunes the PostgreSQL pool; RedisURL and Events.NATSURL switch on the
	// shared nonces and rate limits and the event publishing of several instances.
	DatabasePool   PoolConfig       `yaml:"database_pool"`
	RedisURL       string           `yaml:"redis_url"`
	Events         EventsConfig     `yaml:"events"`
	DataDir        string           `yaml:"data_dir"`
	MasterKey      string           `yaml:"master_key"`
	LogFormat      string           `yaml:"log_format"` // json (default) or text
	Alipay         AlipayConfig     `yaml:"alipay"`
	WeChat         WeChatConfig     `yaml:"wechat"` // the second channel; off while empty
	Notify         NotifyConfig     `yaml:"notify"`
	LatePayment    string           `yaml:"late_payment"` // record | refund
	DefaultTimeout time.Duration    `yaml:"default_timeout"`
	Webhooks       WebhookConfig    `yaml:"webhooks"`
	Reconciler     ReconcilerConfig `yaml:"reconciler"`
	Reconcile      ReconcileConfig  `yaml:"reconcile"` // the daily reconciliation against Alipay's bill
	RateLimit      RateLimitConfig  `yaml:"rate_limit"`
	Admin          AdminConfig      `yaml:"admin"`
	// TrustedProxies are the reverse proxies (addresses or CIDRs) whose X-Forwarded-For
	// names the real client IP, for the per-IP limit and the audit; empty trusts none.
	TrustedProxies []string        `yaml:"trusted_proxies"`
	TLS            TLSConfig       `yaml:"tls"`
	Metrics        MetricsConfig   `yaml:"metrics"`
	Shutdown       ShutdownConfig  `yaml:"shutdown"`
	Breaker        BreakerConfig   `yaml:"breaker"`
	Tracing        TracingConfig   `yaml:"tracing"`
	Retention      RetentionConfig `yaml:"retention"`
}

// Retention defaults (docs/decisions.md, "Retention").
const (
	DefaultRetentionAudit    = 180 * 24 * time.Hour
	DefaultRetentionInterval = 10 * time.Minute
	DefaultRetentionBatch    = 500
	// MinRetentionAudit keeps a day of audit at least: the daily reconciliation and the
	// console read the day before.
	MinRetentionAudit = 24 * time.Hour
)

// RetentionConfig is how long the audit records are kept and how the purge runs; zero
// values take the defaults. Expired nonces go at every purge; orders, refunds and events
// are never deleted, nor the records of an order or event still in progress.
type RetentionConfig struct {
	// Audit is how long notifications, Alipay call logs and webhook attempts are kept;
	// default 180 days, at least 24h.
	Audit    time.Duration `yaml:"audit"`
	Interval time.Duration `yaml:"interval"` // between purges; default 10m
	Batch    int           `yaml:"batch"`    // rows per DELETE transaction; default 500, at most 10000
}

// AuditOrDefault is Audit, or its default when unset.
func (r RetentionConfig) AuditOrDefault() time.Duration {
	return orDuration(r.Audit, DefaultRetentionAudit)
}

// IntervalOrDefault is Interval, or its default when unset.
func (r RetentionConfig) IntervalOrDefault() time.Duration {
	return orDuration(r.Interval, DefaultRetentionInterval)
}

// BatchOrDefault is Batch, or its default when unset.
func (r RetentionConfig) BatchOrDefault() int {
	if r.Batch == 0 {
		return DefaultRetentionBatch
	}
	return r.Batch
}

func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// AlipayConfig is the merchant's Alipay application.
type AlipayConfig struct {
	AppID           string        `yaml:"app_id"`
	PrivateKey      string        `yaml:"private_key"`
	AppPublicKey    string        `yaml:"app_public_key"` // optional: checked against the private key
	AlipayPublicKey string        `yaml:"alipay_public_key"`
	AppCert         string        `yaml:"app_cert"` // certificate mode: PEM text
	AlipayCert      string        `yaml:"alipay_cert"`
	RootCert        string        `yaml:"root_cert"`
	Gateway         string        `yaml:"gateway"` // production, sandbox, or a URL
	SellerID        string        `yaml:"seller_id"`
	Timeout         time.Duration `yaml:"timeout"`
}

// CertMode reports whether any certificate is configured (公钥证书 mode).
func (a AlipayConfig) CertMode() bool {
	return a.AppCert != "" || a.AlipayCert != "" || a.RootCert != ""
}

// AlipaySandboxGateway is Alipay's own developer sandbox, chosen by gateway: sandbox.
const AlipaySandboxGateway = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"

// GatewayURL resolves alipay.gateway: "" for production (the SDK's default), Alipay's
// sandbox, or the URL given.
func (a AlipayConfig) GatewayURL() string {
	switch a.Gateway {
	case "", "production":
		return ""
	case "sandbox":
		return AlipaySandboxGateway
	}
	return a.Gateway
}

// WeChatConfig is the merchant's WeChat Pay APIv3 account, for Native orders
// ("channel":"wechat"). Every field empty switches the channel off; any set asks for all of
// them but gateway and timeout (Validate).
type WeChatConfig struct {
	MchID      string `yaml:"mch_id"`      // 商户号
	AppID      string `yaml:"app_id"`      // the AppID bound to the merchant
	CertSerial string `yaml:"cert_serial"` // serial number of the merchant API certificate
	PrivateKey string `yaml:"private_key"` // merchant API private key (apiclient_key.pem), PEM
	APIv3Key   string `yaml:"api_v3_key"`  // 32 bytes: decrypts notifications
	// PlatformPublicKey is the WeChat Pay public key (pub_key.pem) and PlatformPublicKeyID
	// its PUB_KEY_ID_…: they verify answers and notifications.
	PlatformPublicKey   string        `yaml:"platform_public_key"`
	PlatformPublicKeyID string        `yaml:"platform_public_key_id"`
	Gateway             string        `yaml:"gateway"` // production (default) or a base URL such as the sandbox's …/sandbox/wechat
	Timeout             time.Duration `yaml:"timeout"` // per call; default 10s
}

// Enabled reports whether any wechat setting is given: the channel is then configured.
func (w WeChatConfig) Enabled() bool {
	return w.MchID != "" || w.AppID != "" || w.CertSerial != "" || w.PrivateKey != "" || w.APIv3Key != "" ||
		w.PlatformPublicKey != "" || w.PlatformPublicKeyID != "" || w.Gateway != ""
}

// GatewayURL resolves wechat.gateway: "" for production (the client's default) or the URL.
func (w WeChatConfig) GatewayURL() string {
	if w.Gateway == "production" {
		return ""
	}
	return w.Gateway
}

// NotifyConfig is how Alipay's notifications are trusted.
type NotifyConfig struct {
	ConfirmWithQuery *bool `yaml:"confirm_with_query"` // nil = true
}

// EventsConfig is where events are published besides the webhooks.
type EventsConfig struct {
	NATSURL string `yaml:"nats_url"`
}

// WebhookConfig tunes the webhook dispatcher; zero values take the defaults.
type WebhookConfig struct {
	Schedule    []time.Duration `yaml:"schedule"`    // retry waits; default 15s,1m,5m,15m,1h,2h,6h,15h
	Timeout     time.Duration   `yaml:"timeout"`     // per POST; default 10s
	Lease       time.Duration   `yaml:"lease"`       // claim held this long; default timeout+30s
	Concurrency int             `yaml:"concurrency"` // POSTs in flight; default 8
	// AllowNetworks (CIDRs) may receive webhooks although they are not public addresses
	// (an on-premises receiver); everything else non-public is refused (docs/security.md).
	AllowNetworks []string `yaml:"allow_networks"`
}

// ReconcilerConfig tunes the reconciler; zero values take the defaults.
type ReconcilerConfig struct {
	Schedule []time.Duration `yaml:"schedule"` // checks of a pending order, from creation; default 30s,1m,2m,5m
	Poll     time.Duration   `yaml:"poll"`     // look for due work; default 1s
	Lease    time.Duration   `yaml:"lease"`    // claim held this long; default 2m
}

// ReconcileConfig schedules the daily reconciliation against Alipay's trade bill
// (docs/decisions.md, "Reconciliation").
type ReconcileConfig struct {
	// At is when the day before is reconciled, HH:MM Beijing time; default 10:00 (Alipay
	// publishes a day's bill the next morning).
	At string `yaml:"at"`
	// Retry is how long to wait after a bill that is not ready yet; default 30m.
	Retry time.Duration `yaml:"retry"`
}

// TimeOfDay is At as the time after midnight; "" is 10:00.
func (r ReconcileConfig) TimeOfDay() (time.Duration, error) {
	if r.At == "" {
		return 10 * time.Hour, nil
	}
	h, m, ok := strings.Cut(strings.TrimSpace(r.At), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("reconcile.at %q: want HH:MM (24-hour, Beijing time), e.g. 10:00", r.At)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// RateLimitConfig sets the token buckets; zero values take the defaults (50/s burst 100 per
// client, 20/s burst 40 per IP on the cashier and console login, 200/s burst 400 per IP on
// /notify/alipay), a negative rate switches that limit off. A client's own
// rate_limit/rate_burst columns override the client values.
type RateLimitConfig struct {
	ClientRate  float64 `yaml:"client_rate"`
	ClientBurst int     `yaml:"client_burst"`
	IPRate      float64 `yaml:"ip_rate"`
	IPBurst     int     `yaml:"ip_burst"`
	NotifyRate  float64 `yaml:"notify_rate"`
	NotifyBurst int     `yaml:"notify_burst"`
	// AuthFailRate and AuthFailBurst budget the failed authentications of one source on
	// /api/*; zero values take 1/s and 60 (docs/security.md).
	AuthFailRate  float64 `yaml:"auth_fail_rate"`
	AuthFailBurst int     `yaml:"auth_fail_burst"`
	// NotifyFailRate and NotifyFailBurst budget the notifications of one source whose
	// signature does not verify; over it, one is refused with 429 and not stored. Zero
	// values take 2/s and 20 (docs/security.md).
	NotifyFailRate  float64 `yaml:"notify_fail_rate"`
	NotifyFailBurst int     `yaml:"notify_fail_burst"`
	// IPv6Prefix is how many leading bits of an IPv6 address name one source for every
	// per-IP limit and the console lockout; 0 = 64.
	IPv6Prefix int `yaml:"ipv6_prefix"`
}

// AdminConfig is the operator console's configuration.
type AdminConfig struct {
	// PasswordHash is the bcrypt hash of the console password (`htpasswd -bnBC 12 "" PASSWORD
	// | tr -d ':\n'` makes one); empty switches the console off.
	PasswordHash string `yaml:"password_hash"`
	// SecureCookies marks the console cookies Secure although requests arrive over plain
	// HTTP (TLS ends at a proxy). It is implied by an https public_url.
	SecureCookies bool `yaml:"secure_cookies"`
	// MerchantName is shown on the cashier page; default "f2fpay".
	MerchantName string `yaml:"merchant_name"`
}

// PoolConfig tunes the PostgreSQL connection pool (database_pool); zero values keep the
// driver's defaults or the DSN's pool_* parameters.
type PoolConfig struct {
	MaxConns        int32         `yaml:"max_conns"`          // default max(4, CPUs)
	MinConns        int32         `yaml:"min_conns"`          // kept open; default 0
	MaxConnLifetime time.Duration `yaml:"max_conn_lifetime"`  // default 1h
	MaxConnIdleTime time.Duration `yaml:"max_conn_idle_time"` // default 30m
	Schema          string        `yaml:"schema"`             // search_path schema, created if missing; default the DSN's
}

// TLSConfig is the optional TLS listener, beside the plain one.
type TLSConfig struct {
	Listen   string `yaml:"listen"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// MetricsConfig places GET /metrics. It shows business volume and each scrape queries the
// database, so `serve` answers it only on Listen, a separate address (empty: not served),
// unless Public puts it on the main listener too. `demo` always serves it on the main one.
type MetricsConfig struct {
	Listen string `yaml:"listen"`
	Public bool   `yaml:"public"`
}

// BreakerConfig tunes the circuit breaker around the Alipay channel (docs/decisions.md,
// "Circuit breaker"); zero values take internal/breaker's defaults.
type BreakerConfig struct {
	Failures int           `yaml:"failures"` // unknown outcomes in a row that open it; default 5
	OpenFor  time.Duration `yaml:"open_for"` // new money refused this long; default 30s
	Probes   int           `yaml:"probes"`   // successes in a row that close it again; default 3
}

// TracingConfig exports OpenTelemetry spans (docs/decisions.md, "Tracing"); with no
// Endpoint nothing is exported, and log lines carry only a trace id a merchant sent.
type TracingConfig struct {
	Endpoint    string  `yaml:"endpoint"`     // OTLP/HTTP collector URL, e.g. http://otel-collector:4318
	SampleRatio float64 `yaml:"sample_ratio"` // share of new traces sampled, 0 < r <= 1; default 1
	ServiceName string  `yaml:"service_name"` // the resource's service.name; default f2fpay
}

// ShutdownConfig bounds a graceful stop (SIGTERM, Ctrl-C). For Drain, /ready answers 503
// while everything else is still served, so that a load balancer stops sending new work;
// then the listeners close, in-flight requests and worker passes finish within Timeout.
type ShutdownConfig struct {
	Drain   time.Duration `yaml:"drain"`   // default 0: stop at once
	Timeout time.Duration `yaml:"timeout"` // default 10s
}

// StopTimeout is Shutdown.Timeout or its default.
func (s ShutdownConfig) StopTimeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultShutdownTimeout
	}
	return s.Timeout
}

// ConfirmWithQuery is on unless switched off explicitly.
func (c *Config) ConfirmWithQuery() bool {
	return c.Notify.ConfirmWithQuery == nil || *c.Notify.ConfirmWithQuery
}

// UseDataDir completes a management command's configuration from a demo data dir: the
// database is sqlite:{dir}/f2fpay.db and the master key {dir}/master.key unless set. With
// neither a database nor a data dir, DefaultDataDir is used when it holds a database.
func (c *Config) UseDataDir() error {
	if c.Database == "" && c.DataDir == "" {
		if _, err := os.Stat(filepath.Join(DefaultDataDir, "f2fpay.db")); err == nil {
			c.DataDir = DefaultDataDir
		}
	}
	if c.Database == "" && c.DataDir != "" {
		c.Database = "sqlite:" + filepath.Join(c.DataDir, "f2fpay.db")
	}
	if c.MasterKey == "" && c.DataDir != "" {
		b, err := os.ReadFile(filepath.Join(c.DataDir, "master.key"))
		if err != nil {
			return fmt.Errorf("master key: %v", err)
		}
		c.MasterKey = string(b)
	}
	if c.Database == "" {
		return fmt.Errorf("no database: give --database, --config, --data-dir or F2FPAY_DATABASE (no %s/f2fpay.db here)", DefaultDataDir)
	}
	return nil
}
