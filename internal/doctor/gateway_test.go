package doctor

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/config"
)

// TestGatewayFailures: each way the signed query can go wrong is named, with its fix.
func TestGatewayFailures(t *testing.T) {
	b := setup(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String() + "/gateway.do"
	closed.Close()
	for _, c := range []struct {
		name   string
		change func(*config.Config)
		detail []string
	}{
		{"wrong private key", func(c *config.Config) { c.Alipay.PrivateKey, c.Alipay.AppPublicKey = privPEM(b.bad), "" },
			[]string{"isv.invalid-signature", "public key uploaded", config.KeyFingerprint(&b.bad.PublicKey)}},
		{"wrong app id", func(c *config.Config) { c.Alipay.AppID = "2021000000009999" },
			[]string{"isv.invalid-app-id", `"2021000000009999" is not an app this gateway knows`}},
		{"unreachable gateway", func(c *config.Config) { c.Alipay.Gateway = deadURL },
			[]string{"no usable answer", "connection refused", "to " + deadURL, "alipay.gateway"}},
		{"wrong Alipay public key", func(c *config.Config) { c.Alipay.AlipayPublicKey = pubPEM(&b.bad.PublicKey) },
			[]string{"signature does not verify with alipay.alipay_public_key " + config.KeyFingerprint(&b.bad.PublicKey), "支付宝公钥"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := b.run(t, func(cfg *config.Config, _ *Options) { c.change(cfg) })
			want(t, rs, "gateway", Fail, c.detail...)
			if !Failed(rs) {
				t.Error("not Failed")
			}
		})
	}
}

// TestClockSkew: the Date of the gateway's answer against this host's clock, through a
// proxy in front of the real sandbox that moves its Date header.
func TestClockSkew(t *testing.T) {
	b := setup(t)
	for _, c := range []struct {
		offset time.Duration
		st     Status
		detail string
	}{{30 * time.Second, Warn, "behind the gateway's clock"}, {-20 * time.Minute, Fail, "more than Alipay accepts"}} {
		skewed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", time.Now().Add(c.offset).UTC().Format(http.TimeFormat))
			b.sb.ServeHTTP(w, r)
		}))
		rs := b.run(t, func(cfg *config.Config, _ *Options) { cfg.Alipay.Gateway = skewed.URL + "/sandbox/gateway.do" })
		skewed.Close()
		want(t, rs, "gateway", OK)
		want(t, rs, "clock", c.st, c.detail)
	}
}

// TestJudgeSkew: only what the measurement is sure of counts.
func TestJudgeSkew(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ahead, unc := skew(base, base.Add(2*time.Second), base.Add(-time.Minute))
	if ahead != time.Minute+500*time.Millisecond || unc != 1500*time.Millisecond {
		t.Fatalf("skew = %s ± %s", ahead, unc)
	}
	for _, c := range []struct {
		ahead, unc time.Duration
		st         Status
	}{
		{time.Second, 500 * time.Millisecond, OK},
		{6 * time.Second, 2 * time.Second, OK}, // maybe 4 s only
		{-8 * time.Second, time.Second, Warn},
		{16 * time.Minute, 2 * time.Minute, Warn},
		{-16 * time.Minute, 500 * time.Millisecond, Fail},
	} {
		if r := judgeSkew(c.ahead, c.unc); r.Status != c.st {
			t.Errorf("%s ± %s: %s %s, want %s", c.ahead, c.unc, r.Status.Mark(), r.Detail, c.st.Mark())
		}
	}
}
