package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/secretbox"
)

var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

func privPEM(k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pubPEM(k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// validConfig is a serve configuration that passes Validate.
func validConfig() *Config {
	ks := testKeys()
	return &Config{
		PublicURL: "https://pay.example.com", Database: "sqlite:/tmp/f2fpay.db", MasterKey: secretbox.NewKey(),
		Alipay: AlipayConfig{AppID: "2021000000000001", PrivateKey: privPEM(ks[0]), AppPublicKey: pubPEM(ks[0]),
			AlipayPublicKey: pubPEM(ks[1])},
	}
}

// withWeChat adds a valid wechat channel to c.
func withWeChat(c *Config) *Config {
	ks := testKeys()
	c.WeChat = WeChatConfig{MchID: "1900000109", AppID: "wxd678efh567hg6787", CertSerial: "3775B6A45ACD588826D15E583A95F5DD12345678",
		PrivateKey: privPEM(ks[1]), APIv3Key: "0123456789abcdef0123456789abcdef", PlatformPublicKey: pubPEM(ks[0]),
		PlatformPublicKeyID: "PUB_KEY_ID_0114232134912410000000000000"}
	return c
}

func TestValidateAcceptsAndDefaults(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != DefaultListen {
		t.Fatalf("listen defaulted to %q", c.Listen)
	}
	if r := c.Retention; r.AuditOrDefault() != 180*24*time.Hour || r.IntervalOrDefault() != 10*time.Minute || r.BatchOrDefault() != 500 {
		t.Fatalf("retention defaults: %s %s %d", r.AuditOrDefault(), r.IntervalOrDefault(), r.BatchOrDefault())
	}
	c.Retention = RetentionConfig{Audit: 24 * time.Hour, Interval: time.Minute, Batch: 10000} // the bounds
	if err := c.Validate(); err != nil {
		t.Fatalf("retention at its bounds: %v", err)
	}
	c.Retention = RetentionConfig{}
	c.Listen, c.Metrics.Listen = "127.0.0.1:0", "127.0.0.1:0" // two ports of the system's choosing
	if err := c.Validate(); err != nil {
		t.Fatalf("random ports for both listeners: %v", err)
	}
	c.Alipay.AlipayPublicKey = ""
	c.Alipay.AppCert, c.Alipay.AlipayCert, c.Alipay.RootCert = "app", "alipay", "root"
	if err := c.Validate(); err != nil {
		t.Fatalf("certificate mode: %v", err)
	}
	if c.WeChat.Enabled() {
		t.Fatal("no wechat setting, yet the channel is on")
	}
	w := withWeChat(validConfig())
	if err := w.Validate(); err != nil || !w.WeChat.Enabled() || w.WeChat.GatewayURL() != "" {
		t.Fatalf("the wechat channel: %v", err)
	}
	w.WeChat.Gateway = "http://127.0.0.1:8080/sandbox/wechat"
	if err := w.Validate(); err != nil || w.WeChat.GatewayURL() != w.WeChat.Gateway {
		t.Fatalf("the wechat channel on the sandbox: %v", err)
	}
}

// TestValidateNamesEachProblem: each broken setting alone gives exactly its own message.
func TestValidateNamesEachProblem(t *testing.T) {
	ks := testKeys()
	for _, c := range []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"no public_url", func(c *Config) { c.PublicURL = "" }, []string{"public_url (F2FPAY_PUBLIC_URL) is missing"}},
		{"relative public_url", func(c *Config) { c.PublicURL = "pay.example.com" }, []string{"public_url must be an absolute http(s) URL"}},
		{"no database", func(c *Config) { c.Database = " " }, []string{"database (F2FPAY_DATABASE), e.g. sqlite:/var/lib/f2fpay/f2fpay.db is missing"}},
		{"no master key", func(c *Config) { c.MasterKey = "" }, []string{"master_key (F2FPAY_MASTER_KEY or F2FPAY_MASTER_KEY_FILE) is missing"}},
		{"short master key", func(c *Config) { c.MasterKey = "c2hvcnQ=" }, []string{"master key must be 32 bytes in base64"}},
		{"no app id", func(c *Config) { c.Alipay.AppID = "" }, []string{"alipay.app_id (F2FPAY_ALIPAY_APP_ID) is missing"}},
		{"no private key", func(c *Config) { c.Alipay.PrivateKey = "" }, []string{"alipay.private_key (F2FPAY_ALIPAY_PRIVATE_KEY or _FILE) is missing"}},
		{"garbled private key", func(c *Config) { c.Alipay.PrivateKey = "not a key!" }, []string{"the app private key is neither PEM nor base64"}},
		{"private key of another kind", func(c *Config) { c.Alipay.PrivateKey = pubPEM(ks[0]) }, []string{"the app private key is not an RSA key in PKCS#1 or PKCS#8"}},
		{"unreadable app public key", func(c *Config) { c.Alipay.AppPublicKey = "AAAA" }, []string{"the app public key cannot be read"}},
		{"mismatched key pair", func(c *Config) { c.Alipay.AppPublicKey = pubPEM(ks[1]) }, []string{
			"the app private key does not match app public key " + KeyFingerprint(&ks[1].PublicKey) +
				" (its private key has public key " + KeyFingerprint(&ks[0].PublicKey) + ")"}},
		{"no alipay public key", func(c *Config) { c.Alipay.AlipayPublicKey = "" }, []string{"alipay.alipay_public_key (F2FPAY_ALIPAY_PUBLIC_KEY or _FILE) is missing"}},
		{"half certificate mode", func(c *Config) { c.Alipay.AppCert = "app" }, []string{"alipay.alipay_cert is missing", "alipay.root_cert is missing"}},
		{"certificate mode without app cert", func(c *Config) { c.Alipay.AlipayCert, c.Alipay.RootCert = "a", "r" }, []string{"alipay.app_cert is missing"}},
		{"wechat with only a mch_id", func(c *Config) { c.WeChat.MchID = "1900000109" }, []string{
			"wechat.app_id (F2FPAY_WECHAT_APP_ID) is missing (the wechat channel is configured)",
			"wechat.cert_serial (F2FPAY_WECHAT_CERT_SERIAL) is missing",
			"wechat.private_key (F2FPAY_WECHAT_PRIVATE_KEY or _FILE) is missing",
			"wechat.api_v3_key (F2FPAY_WECHAT_API_V3_KEY or _FILE) is missing",
			"wechat.platform_public_key (F2FPAY_WECHAT_PLATFORM_PUBLIC_KEY or _FILE) is missing",
			"wechat.platform_public_key_id (F2FPAY_WECHAT_PLATFORM_PUBLIC_KEY_ID) is missing"}},
		{"wechat without a mch_id", func(c *Config) { withWeChat(c).WeChat.MchID = "" }, []string{"wechat.mch_id (F2FPAY_WECHAT_MCH_ID) is missing"}},
		{"wechat garbled private key", func(c *Config) { withWeChat(c).WeChat.PrivateKey = "not a key!" }, []string{"wechat.private_key: "}},
		{"wechat short api v3 key", func(c *Config) { withWeChat(c).WeChat.APIv3Key = "short" }, []string{"wechat.api_v3_key: "}},
		{"wechat garbled platform key", func(c *Config) { withWeChat(c).WeChat.PlatformPublicKey = "AAAA" }, []string{"wechat.platform_public_key: "}},
		{"wechat platform key id", func(c *Config) { withWeChat(c).WeChat.PlatformPublicKeyID = "0114232134912410000000000000" }, []string{"wechat.platform_public_key_id must start with PUB_KEY_ID_"}},
		{"wechat gateway", func(c *Config) { withWeChat(c).WeChat.Gateway = "api.mch.example" }, []string{"wechat.gateway must be production or an absolute http(s) URL"}},
		{"wechat timeout", func(c *Config) { withWeChat(c).WeChat.Timeout = -time.Second }, []string{"wechat.timeout must not be negative"}},
		{"late payment", func(c *Config) { c.LatePayment = "keep" }, []string{"late_payment must be record or refund"}},
		{"log format", func(c *Config) { c.LogFormat = "xml" }, []string{"log_format must be json or text"}},
		{"tls without files", func(c *Config) { c.TLS.Listen = ":8443" }, []string{"tls.listen needs tls.cert_file and tls.key_file"}},
		{"tls files without listen", func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = "c", "k" }, []string{"tls.listen needs tls.cert_file and tls.key_file"}},
		{"bad trusted proxy", func(c *Config) { c.TrustedProxies = []string{"10.0.0.1", "proxy.local"} }, []string{`trusted_proxies: "proxy.local" is neither an IP address nor a CIDR`}},
		{"metrics on the main listener", func(c *Config) { c.Listen, c.Metrics.Listen = "127.0.0.1:8080", "127.0.0.1:8080" }, []string{"metrics.listen must be an address of its own"}},
		{"bad allowed network", func(c *Config) { c.Webhooks.AllowNetworks = []string{"10.0.0.0/33"} }, []string{"webhooks.allow_networks: "}},
		{"ipv6 prefix too long", func(c *Config) { c.RateLimit.IPv6Prefix = 129 }, []string{"rate_limit.ipv6_prefix must be 0 (= 64) to 128"}},
		{"negative auth-fail burst", func(c *Config) { c.RateLimit.AuthFailBurst = -1 }, []string{"rate_limit.auth_fail_burst must not be negative"}},
		{"negative concurrency", func(c *Config) { c.Webhooks.Concurrency = -1 }, []string{"webhooks.concurrency must not be negative"}},
		{"negative breaker probes", func(c *Config) { c.Breaker.Probes = -1 }, []string{"breaker.failures and breaker.probes must not be negative"}},
		{"tracing endpoint without scheme", func(c *Config) { c.Tracing.Endpoint = "otel-collector:4318" }, []string{"tracing.endpoint must be an absolute http(s) URL"}},
		{"tracing endpoint over gRPC", func(c *Config) { c.Tracing.Endpoint = "grpc://otel-collector:4317" }, []string{"tracing.endpoint must be an absolute http(s) URL"}},
		{"sample ratio above 1", func(c *Config) { c.Tracing.SampleRatio = 1.5 }, []string{"tracing.sample_ratio must be above 0 and at most 1"}},
		{"negative sample ratio", func(c *Config) { c.Tracing.SampleRatio = -0.1 }, []string{"tracing.sample_ratio must be above 0 and at most 1"}},
		{"reconcile.at not a time", func(c *Config) { c.Reconcile.At = "10am" }, []string{`reconcile.at "10am": want HH:MM`}},
		{"negative reconcile.retry", func(c *Config) { c.Reconcile.Retry = -time.Minute }, []string{"reconcile.retry must not be negative"}},
		{"audit kept less than a day", func(c *Config) { c.Retention.Audit = 23 * time.Hour }, []string{"retention.audit (F2FPAY_RETENTION_AUDIT) must be at least 24h0m0s, or 0 for 4320h0m0s"}},
		{"negative retention.interval", func(c *Config) { c.Retention.Interval = -time.Minute }, []string{"retention.interval (F2FPAY_RETENTION_INTERVAL) must not be negative"}},
		{"negative retention.batch", func(c *Config) { c.Retention.Batch = -1 }, []string{"retention.batch (F2FPAY_RETENTION_BATCH) must be 0 (= 500) to 10000"}},
		{"huge retention.batch", func(c *Config) { c.Retention.Batch = 10001 }, []string{"retention.batch (F2FPAY_RETENTION_BATCH) must be 0 (= 500) to 10000"}},
	} {
		cfg := validConfig()
		c.mutate(cfg)
		err := cfg.Validate()
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(c.want) {
			t.Errorf("%s: %d messages, want %d:\n%v", c.name, len(lines), len(c.want), err)
			continue
		}
		for i, want := range c.want {
			if !strings.HasPrefix(lines[i], want) {
				t.Errorf("%s: message %q; want it to start %q", c.name, lines[i], want)
			}
		}
	}
}

func TestValidateNamesAllProblemsAtOnce(t *testing.T) {
	err := (&Config{LatePayment: "x"}).Validate()
	if err == nil {
		t.Fatal("empty configuration accepted")
	}
	for _, want := range []string{"public_url", "database", "master_key", "alipay.app_id", "alipay.private_key", "alipay.alipay_public_key", "late_payment"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no word of %s in:\n%v", want, err)
		}
	}
}

func TestCheckTuningIgnoresServeOnlySettings(t *testing.T) {
	if err := (&Config{}).CheckTuning(); err != nil {
		t.Fatalf("demo with no settings: %v", err)
	}
	if err := (&Config{TrustedProxies: []string{"nope"}}).CheckTuning(); err == nil || !strings.Contains(err.Error(), "trusted_proxies") {
		t.Fatalf("bad proxy in demo: %v", err)
	}
}

func TestValidateAcceptsTracing(t *testing.T) {
	for _, tr := range []TracingConfig{
		{},
		{Endpoint: "http://otel-collector:4318", SampleRatio: 0.1, ServiceName: "f2fpay-eu"},
		{Endpoint: "https://collector.example.com/v1/traces", SampleRatio: 1},
	} {
		cfg := validConfig()
		cfg.Tracing = tr
		if err := cfg.Validate(); err != nil {
			t.Errorf("%+v: %v", tr, err)
		}
	}
}

// TestDefaultTimeoutWithinQRLife: an Alipay QR lives at most 2 hours, so default_timeout
// above that (or under a minute) is refused.
func TestDefaultTimeoutWithinQRLife(t *testing.T) {
	for _, d := range []time.Duration{30 * time.Second, 121 * time.Minute} {
		c := &Config{DefaultTimeout: d}
		if errs := c.checkTuning(); !containsErr(errs, "default_timeout") {
			t.Errorf("default_timeout %s accepted: %v", d, errs)
		}
	}
	c := &Config{DefaultTimeout: 2 * time.Hour}
	if errs := c.checkTuning(); containsErr(errs, "default_timeout") {
		t.Errorf("default_timeout 2h refused: %v", errs)
	}
}

func containsErr(errs []error, s string) bool {
	for _, e := range errs {
		if strings.Contains(e.Error(), s) {
			return true
		}
	}
	return false
}
