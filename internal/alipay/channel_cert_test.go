package alipay

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// certChannel switches a fresh app to certificate mode and builds its channel.
func certChannel(t *testing.T, e *env) (*Channel, string) {
	t.Helper()
	ch, appID, _ := certApp(t, e, nil)
	return ch, appID
}

// certApp is certChannel with the channel's Config edited by edit (may be nil); it also
// returns the certificates the sandbox issued.
func certApp(t *testing.T, e *env, edit func(*Config)) (*Channel, string, *sandbox.CertBundle) {
	t.Helper()
	appID := fmt.Sprintf("2021%012d", appSeq.Add(1))
	b, err := e.sb.IssueAppCert(appID, pubPEM(&testKey(t, 0).PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		AppID: appID, PrivateKey: privPKCS1PEM(testKey(t, 0)),
		AppCertPEM: b.AppCertPEM, AlipayCertPEM: b.AlipayCertPEM, RootCertPEM: b.RootCertPEM,
		GatewayURL: e.gateway, SellerID: e.sb.SellerID(appID), Timeout: 30 * time.Second, // generous: a loaded machine
	}
	if edit != nil {
		edit(&cfg)
	}
	ch, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ch, appID, b
}

func TestCertModeEndToEnd(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID := certChannel(t, e)
	e.precreate(t, ch, "o-cert", 500)
	if tr, err := ch.Query(bg, "o-cert"); err != nil || tr.Status != payment.TradeNotExist {
		t.Fatalf("query before scan: %+v, %v", tr, err)
	}
	if _, err := e.sb.Pay(appID, "o-cert", "success"); err != nil {
		t.Fatal(err)
	}
	if tr, err := ch.Query(bg, "o-cert"); err != nil || tr.Status != payment.TradeSuccess || tr.TotalAmount != 500 {
		t.Fatalf("query after pay: %+v, %v", tr, err)
	}
	res, err := ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-cert", RefundNo: "r1", Amount: 100})
	if err != nil || !res.Succeeded || res.RefundFee != 100 {
		t.Fatalf("refund: %+v, %v", res, err)
	}
	form := e.sink.wait(t, appID, "o-cert", isPayment)
	if n, err := ch.VerifyNotification(form); err != nil || n.TotalAmount != 500 {
		t.Fatalf("notification in cert mode: %+v, %v", n, err)
	}
	if _, err := ch.VerifyNotification(with(form, "total_amount", "5.01")); payment.ErrorCode(err) != payment.CodeUnauthorized {
		t.Fatalf("tampered notification: %v", err)
	}
	// Closing the paid trade: the refusal comes back signed in cert mode too.
	if err := ch.Close(bg, "o-cert"); subCode(err) != subStatusError {
		t.Fatalf("close of a paid trade: %v", err)
	}
	e.precreate(t, ch, "o-cert-2", 100)
	if err := ch.Close(bg, "o-cert-2"); err != nil {
		t.Fatalf("close unscanned in cert mode: %v", err)
	}
}

func TestCertModeConfigErrors(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	appID := fmt.Sprintf("2021%012d", appSeq.Add(1))
	b, err := e.sb.IssueAppCert(appID, pubPEM(&testKey(t, 0).PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	base := Config{AppID: appID, PrivateKey: privPKCS1PEM(testKey(t, 0)), AppCertPEM: b.AppCertPEM, AlipayCertPEM: b.AlipayCertPEM, RootCertPEM: b.RootCertPEM}
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"other private key": {func(c *Config) { c.PrivateKey = privPKCS1PEM(testKey(t, 1)) }, "does not match the public key in the app public-key certificate"},
		"root is not pem":   {func(c *Config) { c.RootCertPEM = []byte("garbage") }, "root certificate: no parseable PEM certificate"},
		"certs swapped":     {func(c *Config) { c.AppCertPEM, c.AlipayCertPEM = c.AlipayCertPEM, c.AppCertPEM }, "does not match"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want %q", err, tc.want)
			}
		})
	}
	// The Alipay certificate of another sandbox: it does not chain to this root, which is
	// said at start. This sandbox's answers name its own certificate, which does chain to
	// the configured root: it is downloaded, checked and trusted.
	other := newEnv(t)
	ob, err := other.sb.IssueAppCert(appID, pubPEM(&testKey(t, 0).PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	logs, ev := &logBuffer{}, &eventCount{}
	cfg := base
	cfg.AlipayCertPEM, cfg.GatewayURL, cfg.OnCertEvent = ob.AlipayCertPEM, e.gateway, ev.add
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	ch, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"the configured Alipay public-key certificate fails the checks") ||
		!strings.Contains(logs.String(), "reason=chain") {
		t.Fatalf("no warning at start:\n%s", logs)
	}
	if tr, err := ch.Query(bg, "o-whatever"); err != nil || tr.Status != payment.TradeNotExist || ev.get(CertEventDownloaded) != 1 {
		t.Fatalf("query: %+v, %v, events %v", tr, err, ev.n)
	}
}
