package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// envCase is one variable, a value for it, and where that value must land.
type envCase struct {
	name  string // without F2FPAY_
	value string
	got   func(*Config) any
	want  any
}

func ptr[T any](v T) *T { return &v }

// envCases covers every variable of envVars; TestEnvCasesCoverEveryVariable keeps it so.
var envCases = []envCase{
	{"LISTEN", "0.0.0.0:9000", func(c *Config) any { return c.Listen }, "0.0.0.0:9000"},
	{"PUBLIC_URL", "https://pay.example.com", func(c *Config) any { return c.PublicURL }, "https://pay.example.com"},
	{"DATABASE", "postgres://u@db/f2fpay", func(c *Config) any { return c.Database }, "postgres://u@db/f2fpay"},
	{"MASTER_KEY", "bWFzdGVy", func(c *Config) any { return c.MasterKey }, "bWFzdGVy"},
	{"ALIPAY_APP_ID", "2021000000000001", func(c *Config) any { return c.Alipay.AppID }, "2021000000000001"},
	{"ALIPAY_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", func(c *Config) any { return c.Alipay.PrivateKey }, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
	{"ALIPAY_APP_PUBLIC_KEY", "app-pub", func(c *Config) any { return c.Alipay.AppPublicKey }, "app-pub"},
	{"ALIPAY_PUBLIC_KEY", "alipay-pub", func(c *Config) any { return c.Alipay.AlipayPublicKey }, "alipay-pub"},
	{"ALIPAY_APP_CERT", "app-cert", func(c *Config) any { return c.Alipay.AppCert }, "app-cert"},
	{"ALIPAY_ALIPAY_CERT", "alipay-cert", func(c *Config) any { return c.Alipay.AlipayCert }, "alipay-cert"},
	{"ALIPAY_ROOT_CERT", "root-cert", func(c *Config) any { return c.Alipay.RootCert }, "root-cert"},
	{"ALIPAY_GATEWAY", "sandbox", func(c *Config) any { return c.Alipay.Gateway }, "sandbox"},
	{"ALIPAY_SELLER_ID", "2088000000000001", func(c *Config) any { return c.Alipay.SellerID }, "2088000000000001"},
	{"ALIPAY_TIMEOUT", "7s", func(c *Config) any { return c.Alipay.Timeout }, 7 * time.Second},
	{"WECHAT_MCH_ID", "1900000109", func(c *Config) any { return c.WeChat.MchID }, "1900000109"},
	{"WECHAT_APP_ID", "wxd678efh567hg6787", func(c *Config) any { return c.WeChat.AppID }, "wxd678efh567hg6787"},
	{"WECHAT_CERT_SERIAL", "3775B6A45ACD588826D15E583A95F5DD12345678", func(c *Config) any { return c.WeChat.CertSerial }, "3775B6A45ACD588826D15E583A95F5DD12345678"},
	{"WECHAT_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----", func(c *Config) any { return c.WeChat.PrivateKey }, "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----"},
	{"WECHAT_API_V3_KEY", "0123456789abcdef0123456789abcdef", func(c *Config) any { return c.WeChat.APIv3Key }, "0123456789abcdef0123456789abcdef"},
	{"WECHAT_PLATFORM_PUBLIC_KEY", "wechat-pub", func(c *Config) any { return c.WeChat.PlatformPublicKey }, "wechat-pub"},
	{"WECHAT_PLATFORM_PUBLIC_KEY_ID", "PUB_KEY_ID_0114232134912410000000000000", func(c *Config) any { return c.WeChat.PlatformPublicKeyID }, "PUB_KEY_ID_0114232134912410000000000000"},
	{"WECHAT_GATEWAY", "http://127.0.0.1:8080/sandbox/wechat", func(c *Config) any { return c.WeChat.Gateway }, "http://127.0.0.1:8080/sandbox/wechat"},
	{"WECHAT_TIMEOUT", "4s", func(c *Config) any { return c.WeChat.Timeout }, 4 * time.Second},
	{"NOTIFY_CONFIRM_WITH_QUERY", "false", func(c *Config) any { return c.Notify.ConfirmWithQuery }, ptr(false)},
	{"LATE_PAYMENT", "refund", func(c *Config) any { return c.LatePayment }, "refund"},
	{"DEFAULT_TIMEOUT", "20m", func(c *Config) any { return c.DefaultTimeout }, 20 * time.Minute},
	{"TLS_LISTEN", "0.0.0.0:8443", func(c *Config) any { return c.TLS.Listen }, "0.0.0.0:8443"},
	{"TLS_CERT_FILE", "/etc/tls/cert.pem", func(c *Config) any { return c.TLS.CertFile }, "/etc/tls/cert.pem"},
	{"TLS_KEY_FILE", "/etc/tls/key.pem", func(c *Config) any { return c.TLS.KeyFile }, "/etc/tls/key.pem"},
	{"LOG_FORMAT", "text", func(c *Config) any { return c.LogFormat }, "text"},
	{"ADMIN_PASSWORD_HASH", "$2a$12$hash", func(c *Config) any { return c.Admin.PasswordHash }, "$2a$12$hash"},
	{"ADMIN_MERCHANT_NAME", "Corner Shop", func(c *Config) any { return c.Admin.MerchantName }, "Corner Shop"},
	{"ADMIN_SECURE_COOKIES", "true", func(c *Config) any { return c.Admin.SecureCookies }, true},
	{"RATE_LIMIT_CLIENT_RATE", "12.5", func(c *Config) any { return c.RateLimit.ClientRate }, 12.5},
	{"RATE_LIMIT_CLIENT_BURST", "25", func(c *Config) any { return c.RateLimit.ClientBurst }, 25},
	{"RATE_LIMIT_IP_RATE", "-1", func(c *Config) any { return c.RateLimit.IPRate }, -1.0},
	{"RATE_LIMIT_IP_BURST", "9", func(c *Config) any { return c.RateLimit.IPBurst }, 9},
	{"RATE_LIMIT_NOTIFY_RATE", "300", func(c *Config) any { return c.RateLimit.NotifyRate }, 300.0},
	{"RATE_LIMIT_NOTIFY_BURST", "600", func(c *Config) any { return c.RateLimit.NotifyBurst }, 600},
	{"RATE_LIMIT_AUTH_FAIL_RATE", "2.5", func(c *Config) any { return c.RateLimit.AuthFailRate }, 2.5},
	{"RATE_LIMIT_AUTH_FAIL_BURST", "30", func(c *Config) any { return c.RateLimit.AuthFailBurst }, 30},
	{"RATE_LIMIT_NOTIFY_FAIL_RATE", "0.5", func(c *Config) any { return c.RateLimit.NotifyFailRate }, 0.5},
	{"RATE_LIMIT_NOTIFY_FAIL_BURST", "7", func(c *Config) any { return c.RateLimit.NotifyFailBurst }, 7},
	{"RATE_LIMIT_IPV6_PREFIX", "56", func(c *Config) any { return c.RateLimit.IPv6Prefix }, 56},
	{"TRUSTED_PROXIES", " 10.0.0.1, ,192.168.0.0/16 ", func(c *Config) any { return c.TrustedProxies }, []string{"10.0.0.1", "192.168.0.0/16"}},
	{"WEBHOOK_SCHEDULE", "1s, 2m", func(c *Config) any { return c.Webhooks.Schedule }, []time.Duration{time.Second, 2 * time.Minute}},
	{"WEBHOOK_TIMEOUT", "3s", func(c *Config) any { return c.Webhooks.Timeout }, 3 * time.Second},
	{"WEBHOOK_LEASE", "45s", func(c *Config) any { return c.Webhooks.Lease }, 45 * time.Second},
	{"WEBHOOK_CONCURRENCY", "3", func(c *Config) any { return c.Webhooks.Concurrency }, 3},
	{"WEBHOOK_ALLOW_NETWORKS", "10.1.0.0/16, ::1", func(c *Config) any { return c.Webhooks.AllowNetworks }, []string{"10.1.0.0/16", "::1"}},
	{"RECONCILE_SCHEDULE", "10s,20s", func(c *Config) any { return c.Reconciler.Schedule }, []time.Duration{10 * time.Second, 20 * time.Second}},
	{"RECONCILE_POLL", "250ms", func(c *Config) any { return c.Reconciler.Poll }, 250 * time.Millisecond},
	{"RECONCILE_LEASE", "90s", func(c *Config) any { return c.Reconciler.Lease }, 90 * time.Second},
	{"RECONCILE_AT", "09:30", func(c *Config) any { return c.Reconcile.At }, "09:30"},
	{"RECONCILE_RETRY", "45m", func(c *Config) any { return c.Reconcile.Retry }, 45 * time.Minute},
	{"REDIS", "redis://cache:6379/0", func(c *Config) any { return c.RedisURL }, "redis://cache:6379/0"},
	{"NATS", "nats://bus:4222", func(c *Config) any { return c.Events.NATSURL }, "nats://bus:4222"},
	{"DATABASE_SCHEMA", "tenant1", func(c *Config) any { return c.DatabasePool.Schema }, "tenant1"},
	{"DATABASE_MAX_CONNS", "16", func(c *Config) any { return c.DatabasePool.MaxConns }, int32(16)},
	{"DATABASE_MIN_CONNS", "2", func(c *Config) any { return c.DatabasePool.MinConns }, int32(2)},
	{"DATABASE_MAX_CONN_LIFETIME", "30m", func(c *Config) any { return c.DatabasePool.MaxConnLifetime }, 30 * time.Minute},
	{"DATABASE_MAX_CONN_IDLE_TIME", "5m", func(c *Config) any { return c.DatabasePool.MaxConnIdleTime }, 5 * time.Minute},
	{"METRICS_LISTEN", "127.0.0.1:9464", func(c *Config) any { return c.Metrics.Listen }, "127.0.0.1:9464"},
	{"METRICS_PUBLIC", "true", func(c *Config) any { return c.Metrics.Public }, true},
	{"BREAKER_FAILURES", "7", func(c *Config) any { return c.Breaker.Failures }, 7},
	{"BREAKER_OPEN_FOR", "45s", func(c *Config) any { return c.Breaker.OpenFor }, 45 * time.Second},
	{"BREAKER_PROBES", "2", func(c *Config) any { return c.Breaker.Probes }, 2},
	{"TRACING_ENDPOINT", "http://otel-collector:4318", func(c *Config) any { return c.Tracing.Endpoint }, "http://otel-collector:4318"},
	{"TRACING_SAMPLE_RATIO", "0.25", func(c *Config) any { return c.Tracing.SampleRatio }, 0.25},
	{"TRACING_SERVICE_NAME", "f2fpay-eu", func(c *Config) any { return c.Tracing.ServiceName }, "f2fpay-eu"},
	{"SHUTDOWN_DRAIN", "5s", func(c *Config) any { return c.Shutdown.Drain }, 5 * time.Second},
	{"SHUTDOWN_TIMEOUT", "25s", func(c *Config) any { return c.Shutdown.Timeout }, 25 * time.Second},
	{"DATA_DIR", "/var/lib/f2fpay", func(c *Config) any { return c.DataDir }, "/var/lib/f2fpay"},
	{"RETENTION_AUDIT", "2160h", func(c *Config) any { return c.Retention.Audit }, 2160 * time.Hour},
	{"RETENTION_INTERVAL", "1m", func(c *Config) any { return c.Retention.Interval }, time.Minute},
	{"RETENTION_BATCH", "200", func(c *Config) any { return c.Retention.Batch }, 200},
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnvCasesCoverEveryVariable(t *testing.T) {
	cases := map[string]bool{}
	for _, c := range envCases {
		if cases[c.name] {
			t.Errorf("F2FPAY_%s is listed twice", c.name)
		}
		cases[c.name] = true
	}
	secrets := 0
	for _, v := range envVars {
		if !cases[v.name] {
			t.Errorf("F2FPAY_%s has no case in envCases", v.name)
		}
		delete(cases, v.name)
		if v.secret {
			secrets++
		}
	}
	for name := range cases {
		t.Errorf("envCases has F2FPAY_%s, which f2fpay does not read", name)
	}
	t.Logf("%d variables covered, %d of them secrets also read from _FILE", len(envVars), secrets)
}

// TestEnvEachVariable sets each variable alone (and each secret through its _FILE) and
// finds the value where it belongs, over a YAML file that says otherwise: env wins.
func TestEnvEachVariable(t *testing.T) {
	dir := t.TempDir()
	yamlPath := filepath.Join(dir, "f2fpay.yaml")
	if err := os.WriteFile(yamlPath, []byte("listen: 127.0.0.1:1\npublic_url: http://yaml.example\nalipay:\n  app_id: from-yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range envVars {
		c := caseOf(t, v.name)
		forms := map[string]map[string]string{"value": {"F2FPAY_" + v.name: c.value}}
		if v.secret {
			file := filepath.Join(dir, v.name+".secret")
			if err := os.WriteFile(file, []byte(c.value+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			forms["_FILE"] = map[string]string{"F2FPAY_" + v.name + "_FILE": file}
		}
		for form, env := range forms {
			cfg, err := Load(yamlPath, envOf(env))
			if err != nil {
				t.Fatalf("F2FPAY_%s (%s): %v", v.name, form, err)
			}
			if got := c.got(cfg); !reflect.DeepEqual(got, c.want) {
				t.Errorf("F2FPAY_%s (%s) = %q: got %#v, want %#v", v.name, form, c.value, got, c.want)
			}
		}
		if !v.secret {
			// A plain setting has no _FILE form: the file is not read, the setting stays unset.
			cfg, err := Load("", envOf(map[string]string{"F2FPAY_" + v.name + "_FILE": "/nonexistent"}))
			if err != nil || !reflect.DeepEqual(*cfg, Config{}) {
				t.Errorf("F2FPAY_%s_FILE was read: %v %+v", v.name, err, cfg)
			}
		}
	}
}

func caseOf(t *testing.T, name string) envCase {
	for _, c := range envCases {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no case for F2FPAY_%s", name)
	return envCase{}
}

func TestEnvSecretValueWinsOverItsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	os.WriteFile(file, []byte("from-file\r\n"), 0o600)
	cfg, err := Load("", envOf(map[string]string{"F2FPAY_MASTER_KEY": "direct", "F2FPAY_MASTER_KEY_FILE": file}))
	if err != nil || cfg.MasterKey != "direct" {
		t.Fatalf("got %q, %v; want the variable's own value", cfg.MasterKey, err)
	}
	cfg, _ = Load("", envOf(map[string]string{"F2FPAY_MASTER_KEY_FILE": file}))
	if cfg.MasterKey != "from-file" {
		t.Fatalf("from file: %q; want the line ending trimmed", cfg.MasterKey)
	}
}

// TestEnvMalformedValues: each typed variable names itself and what it wants.
func TestEnvMalformedValues(t *testing.T) {
	for name, value := range map[string]string{
		"ALIPAY_TIMEOUT": "soon", "DEFAULT_TIMEOUT": "-1m", "NOTIFY_CONFIRM_WITH_QUERY": "maybe",
		"ADMIN_SECURE_COOKIES": "yes please", "RATE_LIMIT_CLIENT_RATE": "fast", "RATE_LIMIT_CLIENT_BURST": "1.5",
		"RATE_LIMIT_IP_RATE": "x", "RATE_LIMIT_IP_BURST": "x", "RATE_LIMIT_NOTIFY_RATE": "x", "RATE_LIMIT_NOTIFY_BURST": "x",
		"WEBHOOK_SCHEDULE": "1s,,2s", "WEBHOOK_TIMEOUT": "10", "WEBHOOK_LEASE": "x", "WEBHOOK_CONCURRENCY": "many",
		"RECONCILE_SCHEDULE": "0s", "RECONCILE_POLL": "x", "RECONCILE_LEASE": "x",
		"DATABASE_MAX_CONNS": "-1", "DATABASE_MIN_CONNS": "3000000000", "DATABASE_MAX_CONN_LIFETIME": "x",
		"DATABASE_MAX_CONN_IDLE_TIME": "x", "METRICS_PUBLIC": "public", "SHUTDOWN_DRAIN": "x", "SHUTDOWN_TIMEOUT": "-5s",
		"BREAKER_FAILURES": "five", "BREAKER_OPEN_FOR": "later", "BREAKER_PROBES": "x",
		"RATE_LIMIT_AUTH_FAIL_RATE": "x", "RATE_LIMIT_AUTH_FAIL_BURST": "x", "RATE_LIMIT_IPV6_PREFIX": "/64",
		"RATE_LIMIT_NOTIFY_FAIL_RATE": "often", "RATE_LIMIT_NOTIFY_FAIL_BURST": "2.5",
		"TRACING_SAMPLE_RATIO": "half",
		"RETENTION_AUDIT":      "half a year", "RETENTION_INTERVAL": "-1m", "RETENTION_BATCH": "lots",
	} {
		_, err := Load("", envOf(map[string]string{"F2FPAY_" + name: value}))
		if err == nil || !strings.Contains(err.Error(), "F2FPAY_"+name+": want ") || !strings.Contains(err.Error(), value) {
			t.Errorf("F2FPAY_%s=%q: %v", name, value, err)
		}
	}
	_, err := Load("", envOf(map[string]string{"F2FPAY_DATABASE_FILE": "/nonexistent/db"}))
	if err == nil || !strings.Contains(err.Error(), "F2FPAY_DATABASE_FILE") {
		t.Errorf("unreadable _FILE: %v", err)
	}
}
