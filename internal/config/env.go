package config

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

// envVar binds one setting to F2FPAY_<name>; a secret one is also read from the file named
// by F2FPAY_<name>_FILE, so that it need not sit in the environment or the YAML file.
type envVar struct {
	name   string
	secret bool
	set    func(*Config, string) error
}

// Secret settings: the value itself, or a file holding it.
const (
	plain  = false
	secret = true
)

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 10s or 2m, got %q", v)
		}
		*p(c) = d
		return nil
	}
}

func durs(p func(*Config) *[]time.Duration) func(*Config, string) error {
	return func(c *Config, v string) (err error) { *p(c), err = durations(v); return err }
}

func integer(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", v)
		}
		*p(c) = n
		return nil
	}
}

func int32s(p func(*Config) *int32) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return fmt.Errorf("want a non-negative integer, got %q", v)
		}
		*p(c) = int32(n)
		return nil
	}
}

func float(p func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", v)
		}
		*p(c) = f
		return nil
	}
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*p(c) = b
		return nil
	}
}

// envVars is every environment variable f2fpay reads, in README.md's order.
var envVars = []envVar{
	{"LISTEN", plain, str(func(c *Config) *string { return &c.Listen })},
	{"PUBLIC_URL", plain, str(func(c *Config) *string { return &c.PublicURL })},
	{"DATABASE", secret, str(func(c *Config) *string { return &c.Database })},
	{"MASTER_KEY", secret, str(func(c *Config) *string { return &c.MasterKey })},
	{"ALIPAY_APP_ID", plain, str(func(c *Config) *string { return &c.Alipay.AppID })},
	{"ALIPAY_PRIVATE_KEY", secret, str(func(c *Config) *string { return &c.Alipay.PrivateKey })},
	{"ALIPAY_APP_PUBLIC_KEY", secret, str(func(c *Config) *string { return &c.Alipay.AppPublicKey })},
	{"ALIPAY_PUBLIC_KEY", secret, str(func(c *Config) *string { return &c.Alipay.AlipayPublicKey })},
	{"ALIPAY_APP_CERT", secret, str(func(c *Config) *string { return &c.Alipay.AppCert })},
	{"ALIPAY_ALIPAY_CERT", secret, str(func(c *Config) *string { return &c.Alipay.AlipayCert })},
	{"ALIPAY_ROOT_CERT", secret, str(func(c *Config) *string { return &c.Alipay.RootCert })},
	{"ALIPAY_GATEWAY", plain, str(func(c *Config) *string { return &c.Alipay.Gateway })},
	{"ALIPAY_SELLER_ID", plain, str(func(c *Config) *string { return &c.Alipay.SellerID })},
	{"ALIPAY_TIMEOUT", plain, dur(func(c *Config) *time.Duration { return &c.Alipay.Timeout })},
	{"WECHAT_MCH_ID", plain, str(func(c *Config) *string { return &c.WeChat.MchID })},
	{"WECHAT_APP_ID", plain, str(func(c *Config) *string { return &c.WeChat.AppID })},
	{"WECHAT_CERT_SERIAL", plain, str(func(c *Config) *string { return &c.WeChat.CertSerial })},
	{"WECHAT_PRIVATE_KEY", secret, str(func(c *Config) *string { return &c.WeChat.PrivateKey })},
	{"WECHAT_API_V3_KEY", secret, str(func(c *Config) *string { return &c.WeChat.APIv3Key })},
	{"WECHAT_PLATFORM_PUBLIC_KEY", secret, str(func(c *Config) *string { return &c.WeChat.PlatformPublicKey })},
	{"WECHAT_PLATFORM_PUBLIC_KEY_ID", plain, str(func(c *Config) *string { return &c.WeChat.PlatformPublicKeyID })},
	{"WECHAT_GATEWAY", plain, str(func(c *Config) *string { return &c.WeChat.Gateway })},
	{"WECHAT_TIMEOUT", plain, dur(func(c *Config) *time.Duration { return &c.WeChat.Timeout })},
	{"NOTIFY_CONFIRM_WITH_QUERY", plain, func(c *Config, v string) error {
		var b bool
		if err := boolean(func(*Config) *bool { return &b })(c, v); err != nil {
			return err
		}
		c.Notify.ConfirmWithQuery = &b
		return nil
	}},
	{"LATE_PAYMENT", plain, str(func(c *Config) *string { return &c.LatePayment })},
	{"DEFAULT_TIMEOUT", plain, dur(func(c *Config) *time.Duration { return &c.DefaultTimeout })},
	{"TLS_LISTEN", plain, str(func(c *Config) *string { return &c.TLS.Listen })},
	{"TLS_CERT_FILE", plain, str(func(c *Config) *string { return &c.TLS.CertFile })},
	{"TLS_KEY_FILE", plain, str(func(c *Config) *string { return &c.TLS.KeyFile })},
	{"LOG_FORMAT", plain, str(func(c *Config) *string { return &c.LogFormat })},
	{"ADMIN_PASSWORD_HASH", secret, str(func(c *Config) *string { return &c.Admin.PasswordHash })},
	{"ADMIN_MERCHANT_NAME", plain, str(func(c *Config) *string { return &c.Admin.MerchantName })},
	{"ADMIN_SECURE_COOKIES", plain, boolean(func(c *Config) *bool { return &c.Admin.SecureCookies })},
	{"RATE_LIMIT_CLIENT_RATE", plain, float(func(c *Config) *float64 { return &c.RateLimit.ClientRate })},
	{"RATE_LIMIT_CLIENT_BURST", plain, integer(func(c *Config) *int { return &c.RateLimit.ClientBurst })},
	{"RATE_LIMIT_IP_RATE", plain, float(func(c *Config) *float64 { return &c.RateLimit.IPRate })},
	{"RATE_LIMIT_IP_BURST", plain, integer(func(c *Config) *int { return &c.RateLimit.IPBurst })},
	{"RATE_LIMIT_NOTIFY_RATE", plain, float(func(c *Config) *float64 { return &c.RateLimit.NotifyRate })},
	{"RATE_LIMIT_NOTIFY_BURST", plain, integer(func(c *Config) *int { return &c.RateLimit.NotifyBurst })},
	{"RATE_LIMIT_AUTH_FAIL_RATE", plain, float(func(c *Config) *float64 { return &c.RateLimit.AuthFailRate })},
	{"RATE_LIMIT_AUTH_FAIL_BURST", plain, integer(func(c *Config) *int { return &c.RateLimit.AuthFailBurst })},
	{"RATE_LIMIT_NOTIFY_FAIL_RATE", plain, float(func(c *Config) *float64 { return &c.RateLimit.NotifyFailRate })},
	{"RATE_LIMIT_NOTIFY_FAIL_BURST", plain, integer(func(c *Config) *int { return &c.RateLimit.NotifyFailBurst })},
	{"RATE_LIMIT_IPV6_PREFIX", plain, integer(func(c *Config) *int { return &c.RateLimit.IPv6Prefix })},
	{"TRUSTED_PROXIES", plain, func(c *Config, v string) error { c.TrustedProxies = list(v); return nil }},
	{"WEBHOOK_SCHEDULE", plain, durs(func(c *Config) *[]time.Duration { return &c.Webhooks.Schedule })},
	{"WEBHOOK_TIMEOUT", plain, dur(func(c *Config) *time.Duration { return &c.Webhooks.Timeout })},
	{"WEBHOOK_LEASE", plain, dur(func(c *Config) *time.Duration { return &c.Webhooks.Lease })},
	{"WEBHOOK_CONCURRENCY", plain, integer(func(c *Config) *int { return &c.Webhooks.Concurrency })},
	{"WEBHOOK_ALLOW_NETWORKS", plain, func(c *Config, v string) error { c.Webhooks.AllowNetworks = list(v); return nil }},
	{"RECONCILE_SCHEDULE", plain, durs(func(c *Config) *[]time.Duration { return &c.Reconciler.Schedule })},
	{"RECONCILE_POLL", plain, dur(func(c *Config) *time.Duration { return &c.Reconciler.Poll })},
	{"RECONCILE_LEASE", plain, dur(func(c *Config) *time.Duration { return &c.Reconciler.Lease })},
	{"RECONCILE_AT", plain, str(func(c *Config) *string { return &c.Reconcile.At })},
	{"RECONCILE_RETRY", plain, dur(func(c *Config) *time.Duration { return &c.Reconcile.Retry })},
	{"REDIS", secret, str(func(c *Config) *string { return &c.RedisURL })},
	{"NATS", secret, str(func(c *Config) *string { return &c.Events.NATSURL })},
	{"DATABASE_SCHEMA", plain, str(func(c *Config) *string { return &c.DatabasePool.Schema })},
	{"DATABASE_MAX_CONNS", plain, int32s(func(c *Config) *int32 { return &c.DatabasePool.MaxConns })},
	{"DATABASE_MIN_CONNS", plain, int32s(func(c *Config) *int32 { return &c.DatabasePool.MinConns })},
	{"DATABASE_MAX_CONN_LIFETIME", plain, dur(func(c *Config) *time.Duration { return &c.DatabasePool.MaxConnLifetime })},
	{"DATABASE_MAX_CONN_IDLE_TIME", plain, dur(func(c *Config) *time.Duration { return &c.DatabasePool.MaxConnIdleTime })},
	{"METRICS_LISTEN", plain, str(func(c *Config) *string { return &c.Metrics.Listen })},
	{"METRICS_PUBLIC", plain, boolean(func(c *Config) *bool { return &c.Metrics.Public })},
	{"BREAKER_FAILURES", plain, integer(func(c *Config) *int { return &c.Breaker.Failures })},
	{"BREAKER_OPEN_FOR", plain, dur(func(c *Config) *time.Duration { return &c.Breaker.OpenFor })},
	{"BREAKER_PROBES", plain, integer(func(c *Config) *int { return &c.Breaker.Probes })},
	{"TRACING_ENDPOINT", plain, str(func(c *Config) *string { return &c.Tracing.Endpoint })},
	{"TRACING_SAMPLE_RATIO", plain, float(func(c *Config) *float64 { return &c.Tracing.SampleRatio })},
	{"TRACING_SERVICE_NAME", plain, str(func(c *Config) *string { return &c.Tracing.ServiceName })},
	{"SHUTDOWN_DRAIN", plain, dur(func(c *Config) *time.Duration { return &c.Shutdown.Drain })},
	{"SHUTDOWN_TIMEOUT", plain, dur(func(c *Config) *time.Duration { return &c.Shutdown.Timeout })},
	{"DATA_DIR", plain, str(func(c *Config) *string { return &c.DataDir })},
	{"RETENTION_AUDIT", plain, dur(func(c *Config) *time.Duration { return &c.Retention.Audit })},
	{"RETENTION_INTERVAL", plain, dur(func(c *Config) *time.Duration { return &c.Retention.Interval })},
	{"RETENTION_BATCH", plain, integer(func(c *Config) *int { return &c.Retention.Batch })},
}

// durations parses a comma-separated list of positive durations such as "15s,1m,5m".
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

// list splits a comma-separated list, dropping empty entries.
func list(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Load reads the YAML file at path (none when path is "") and applies the environment that
// getenv gives on top. Unknown YAML keys, unreadable _FILE files and malformed values are
// errors that name the key or variable.
func Load(path string, getenv func(string) string) (*Config, error) {
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
