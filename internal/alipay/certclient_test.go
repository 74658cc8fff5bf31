package alipay

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestForgedAlipayCertRefused: after a renewal, a proxy answers the certificate download
// with forgeries carrying the SN the sandbox reports (self-signed, then under another root
// bearing the real root's name). Each is refused loudly, the calls stay unknown (never a
// wrong answer), no download loop follows, and once the proxy is honest the real
// certificate is trusted and the same notification verifies.
func TestForgedAlipayCertRefused(t *testing.T) {
	e := newEnv(t)
	px := newTamperProxy(t, e)
	ev, logs, clk := &eventCount{}, &logBuffer{}, &testClock{}
	ch, appID, _ := certApp(t, e, func(c *Config) {
		c.GatewayURL, c.OnCertEvent = px.gateway(), ev.add
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	clk.t = ch.trust.now()
	ch.trust.now = clk.Now
	e.precreate(t, ch, "o-forge", 100)
	sn := rotate(t, e)

	downloads := int64(0)
	for i, mode := range []string{forgeSelfSigned, forgeOtherRoot} {
		px.mode.Store(mode)
		for range 2 { // the second call finds downloads paused: no loop
			_, err := ch.Query(bg, "o-forge")
			if pe := wantCode(t, err, payment.CodeUpstreamUnavailable); !strings.Contains(pe.Message, "signature") {
				t.Fatalf("%s: %#v", mode, pe)
			}
		}
		downloads++
		r := ch.LastCertRefusal()
		if r == nil || r.SN != sn || r.Reason != RefusedChain || r.Source != "download" || px.forged.Load() != int64(i+1) ||
			px.downloads.Load() != downloads || ev.get(CertEventRefused) != i+1 {
			t.Fatalf("%s: refusal %+v, %d forged of %d downloads, events %v (proxy: %v)", mode, r, px.forged.Load(), px.downloads.Load(), ev.n, px.failed.Load())
		}
		clk.Add(certRetryMax)
	}
	if ev.get(CertEventRateLimited) != 2 || ev.get(CertEventDownloaded) != 0 {
		t.Fatalf("events %v", ev.n)
	}
	// A notification signed with the new certificate, while the proxy still forges: the
	// lookup of the current certificate finds the forgery again and refuses it.
	if _, err := e.sb.Pay(appID, "o-forge", "success"); err != nil {
		t.Fatal(err)
	}
	form := e.sink.wait(t, appID, "o-forge", isPayment)
	if _, err := ch.VerifyNotification(form); payment.ErrorCode(err) != payment.CodeUnauthorized || ev.get(CertEventRefused) != 3 {
		t.Fatalf("notification while forging: %v, events %v", err, ev.n)
	}
	if _, err := ch.VerifyNotification(form); payment.ErrorCode(err) != payment.CodeUnauthorized || px.downloads.Load() != downloads+2 {
		t.Fatalf("second notification within the refresh pause: %v, %d downloads", err, px.downloads.Load())
	}
	px.mode.Store(forgeNone)
	clk.Add(certRetryMax + certRefreshEvery)
	if n, err := ch.VerifyNotification(form); err != nil || n.OutTradeNo != "o-forge" || ev.get(CertEventDownloaded) != 1 {
		t.Fatalf("notification once honest: %v, events %v", err, ev.n)
	}
	if tr, err := ch.Query(bg, "o-forge"); err != nil || tr.Status != payment.TradeSuccess {
		t.Fatalf("query once honest: %+v, %v", tr, err)
	}
	out := logs.String()
	if strings.Count(out, "level=ERROR msg=\"alipay certificate refused") != 3 || !strings.Contains(out, "reason=chain") ||
		strings.Contains(out, "BEGIN") || strings.Contains(out, form.Get("sign")) {
		t.Fatalf("logs:\n%s", out)
	}
	t.Logf("forged certificates: %d served, %d refused (last: %s), %d downloads paused, %d proxy downloads in all; then %d genuine download",
		px.forged.Load(), ev.get(CertEventRefused), ch.LastCertRefusal().Reason, ev.get(CertEventRateLimited),
		px.downloads.Load(), ev.get(CertEventDownloaded))
}

// TestMixedRootBundleChannel: against a sandbox whose root bundle holds an ECDSA root and
// a SHA-512-with-RSA root issuing a SHA-384-with-RSA Alipay certificate, the channel's own
// root SN is accepted, and a renewed certificate in that chain is checked and trusted.
func TestMixedRootBundleChannel(t *testing.T) {
	e := newEnvWith(t, sandbox.Config{MixedRootBundle: true})
	ev := &eventCount{}
	ch, appID, b := certApp(t, e, func(c *Config) { c.OnCertEvent = ev.add })
	if roots, _ := certs(b.RootCertPEM); ch.rootSN != b.RootCertSN || len(roots) != 3 {
		t.Fatalf("root SN %s, sandbox %s", ch.rootSN, b.RootCertSN)
	}
	e.paid(t, ch, appID, "o-mixed", 250)
	rotate(t, e)
	if tr, err := ch.Query(bg, "o-mixed"); err != nil || tr.Status != payment.TradeSuccess || ev.get(CertEventDownloaded) != 1 {
		t.Fatalf("query after renewal: %+v, %v, events %v", tr, err, ev.n)
	}
	if res, err := ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-mixed", RefundNo: "r1", Amount: 50}); err != nil || !res.Succeeded {
		t.Fatalf("refund: %+v, %v", res, err)
	}
	if _, err := ch.VerifyNotification(e.sink.wait(t, appID, "o-mixed", isPayment)); err != nil {
		t.Fatal(err)
	}
}
