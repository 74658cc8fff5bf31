package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// Validate refuses a `serve` configuration that cannot work, naming every problem at once
// (errors.Join), each with the YAML key and the variable that set it. It fills Listen with
// DefaultListen when it is empty. Reachability (database, Redis, NATS) is checked at start.
func (c *Config) Validate() error {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	var errs []error
	need := func(v, what string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is missing", what))
		}
	}
	need(c.PublicURL, "public_url (F2FPAY_PUBLIC_URL)")
	need(c.Database, "database (F2FPAY_DATABASE), e.g. sqlite:/var/lib/f2fpay/f2fpay.db")
	need(c.MasterKey, "master_key (F2FPAY_MASTER_KEY or F2FPAY_MASTER_KEY_FILE)")
	need(c.Alipay.AppID, "alipay.app_id (F2FPAY_ALIPAY_APP_ID)")
	need(c.Alipay.PrivateKey, "alipay.private_key (F2FPAY_ALIPAY_PRIVATE_KEY or _FILE)")
	if c.Alipay.CertMode() {
		need(c.Alipay.AppCert, "alipay.app_cert")
		need(c.Alipay.AlipayCert, "alipay.alipay_cert")
		need(c.Alipay.RootCert, "alipay.root_cert")
	} else {
		need(c.Alipay.AlipayPublicKey, "alipay.alipay_public_key (F2FPAY_ALIPAY_PUBLIC_KEY or _FILE)")
	}
	if c.PublicURL != "" && payment.CheckWebhookURL("public_url", c.PublicURL) != nil {
		errs = append(errs, errors.New("public_url must be an absolute http(s) URL"))
	}
	if c.MasterKey != "" {
		if _, err := secretbox.New(c.MasterKey); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Alipay.PrivateKey != "" {
		if err := CheckKeyPair(c.Alipay.PrivateKey, c.Alipay.AppPublicKey); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.WeChat.check()...)
	return errors.Join(append(errs, c.checkTuning()...)...)
}

// check validates the wechat settings when any is given: all but gateway and timeout are
// then required, and the keys must be what WeChat Pay issues.
func (w WeChatConfig) check() []error {
	if !w.Enabled() {
		return nil
	}
	var errs []error
	need := func(v, what string) bool {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is missing (the wechat channel is configured)", what))
			return false
		}
		return true
	}
	need(w.MchID, "wechat.mch_id (F2FPAY_WECHAT_MCH_ID)")
	need(w.AppID, "wechat.app_id (F2FPAY_WECHAT_APP_ID)")
	need(w.CertSerial, "wechat.cert_serial (F2FPAY_WECHAT_CERT_SERIAL)")
	if need(w.PrivateKey, "wechat.private_key (F2FPAY_WECHAT_PRIVATE_KEY or _FILE)") {
		if _, err := wechatpay.ParsePrivateKey(w.PrivateKey); err != nil {
			errs = append(errs, fmt.Errorf("wechat.private_key: %v", err))
		}
	}
	if need(w.APIv3Key, "wechat.api_v3_key (F2FPAY_WECHAT_API_V3_KEY or _FILE)") {
		if err := wechatpay.CheckAPIv3Key(w.APIv3Key); err != nil {
			errs = append(errs, fmt.Errorf("wechat.api_v3_key: %v", err))
		}
	}
	if need(w.PlatformPublicKey, "wechat.platform_public_key (F2FPAY_WECHAT_PLATFORM_PUBLIC_KEY or _FILE)") {
		if _, err := wechatpay.ParsePublicKey(w.PlatformPublicKey); err != nil {
			errs = append(errs, fmt.Errorf("wechat.platform_public_key: %v", err))
		}
	}
	if need(w.PlatformPublicKeyID, "wechat.platform_public_key_id (F2FPAY_WECHAT_PLATFORM_PUBLIC_KEY_ID)") &&
		!strings.HasPrefix(w.PlatformPublicKeyID, wechatpay.PublicKeyIDPrefix) {
		errs = append(errs, fmt.Errorf("wechat.platform_public_key_id must start with %s", wechatpay.PublicKeyIDPrefix))
	}
	if g := w.GatewayURL(); g != "" {
		if u, err := url.Parse(g); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, errors.New("wechat.gateway must be production or an absolute http(s) URL without a query"))
		}
	}
	if w.Timeout < 0 {
		errs = append(errs, errors.New("wechat.timeout must not be negative"))
	}
	return errs
}

// checkTuning checks the settings that have defaults; demo checks these too.
func (c *Config) checkTuning() []error {
	var errs []error
	if c.LatePayment != "" && c.LatePayment != payment.LatePaymentRecord && c.LatePayment != payment.LatePaymentRefund {
		errs = append(errs, errors.New("late_payment must be record or refund"))
	}
	if c.DefaultTimeout < 0 || c.DefaultTimeout > 2*time.Hour || (c.DefaultTimeout > 0 && c.DefaultTimeout < time.Minute) {
		// An Alipay QR lives at most 2 hours (docs/decisions.md, "Store, terminal and operator").
		errs = append(errs, errors.New("default_timeout must be between 1m and 2h"))
	}
	if c.LogFormat != "" && c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, errors.New("log_format must be json or text"))
	}
	if (c.TLS.Listen != "") != (c.TLS.CertFile != "" && c.TLS.KeyFile != "") {
		errs = append(errs, errors.New("tls.listen needs tls.cert_file and tls.key_file (and the other way round)"))
	}
	if err := CheckProxies(c.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	if m := c.Metrics.Listen; m != "" && !anyPort(m) && (m == c.Listen || m == c.TLS.Listen) {
		errs = append(errs, errors.New("metrics.listen must be an address of its own, not listen or tls.listen"))
	}
	if _, err := payment.ParseNetworks(c.Webhooks.AllowNetworks); err != nil {
		errs = append(errs, fmt.Errorf("webhooks.allow_networks: %v", err))
	}
	if p := c.RateLimit.IPv6Prefix; p < 0 || p > 128 {
		errs = append(errs, errors.New("rate_limit.ipv6_prefix must be 0 (= 64) to 128"))
	}
	if c.RateLimit.AuthFailBurst < 0 {
		errs = append(errs, errors.New("rate_limit.auth_fail_burst must not be negative"))
	}
	if c.Webhooks.Concurrency < 0 {
		errs = append(errs, errors.New("webhooks.concurrency must not be negative"))
	}
	if c.Breaker.Failures < 0 || c.Breaker.Probes < 0 {
		errs = append(errs, errors.New("breaker.failures and breaker.probes must not be negative"))
	}
	errs = append(errs, c.Tracing.check()...)
	if _, err := c.Reconcile.TimeOfDay(); err != nil {
		errs = append(errs, err)
	}
	if c.Reconcile.Retry < 0 {
		errs = append(errs, errors.New("reconcile.retry must not be negative"))
	}
	return append(errs, c.Retention.check()...)
}

// check refuses a retention that would purge what the gateway still reads.
func (r RetentionConfig) check() []error {
	var errs []error
	if r.Audit != 0 && r.Audit < MinRetentionAudit {
		errs = append(errs, fmt.Errorf("retention.audit (F2FPAY_RETENTION_AUDIT) must be at least %s, or 0 for %s",
			MinRetentionAudit, DefaultRetentionAudit))
	}
	if r.Interval < 0 {
		errs = append(errs, errors.New("retention.interval (F2FPAY_RETENTION_INTERVAL) must not be negative"))
	}
	if r.Batch < 0 || r.Batch > 10000 {
		errs = append(errs, errors.New("retention.batch (F2FPAY_RETENTION_BATCH) must be 0 (= 500) to 10000"))
	}
	return errs
}

// CheckTuning is Validate for `demo`, which makes its own keys, database and URL: it checks
// only the settings the demo takes from the environment.
func (c *Config) CheckTuning() error { return errors.Join(c.checkTuning()...) }

// CheckProxies refuses a trusted proxy that is neither an IP nor a CIDR, so that a typo is a
// start-up error rather than a panic when the HTTP engine is built.
func CheckProxies(proxies []string) error {
	for _, p := range proxies {
		if _, _, err := net.ParseCIDR(p); err == nil {
			continue
		}
		if net.ParseIP(p) == nil {
			return fmt.Errorf("trusted_proxies: %q is neither an IP address nor a CIDR", p)
		}
	}
	return nil
}

// anyPort reports whether addr asks for a port of the system's choosing (":0"), which never
// collides with another listener.
func anyPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}

// check refuses a collector URL the exporter could not post to and a ratio outside (0, 1].
func (t TracingConfig) check() []error {
	var errs []error
	if t.Endpoint != "" {
		u, err := url.Parse(t.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("tracing.endpoint must be an absolute http(s) URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318"))
		}
	}
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		errs = append(errs, errors.New("tracing.sample_ratio must be above 0 and at most 1 (0 = the default, 1)"))
	}
	return errs
}
