package sandbox

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smartwalle/alipay/v3"
)

func certClient(t *testing.T, b *bundle, appCert, root, alipayCert []byte) *alipay.Client {
	t.Helper()
	c := newClient(t, b.srv.URL, "")
	if err := c.LoadAppCertPublicKey(string(appCert)); err != nil {
		t.Fatal(err)
	}
	if err := c.LoadAliPayRootCert(string(root)); err != nil {
		t.Fatal(err)
	}
	if err := c.LoadAlipayCertPublicKey(string(alipayCert)); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertMode(t *testing.T) {
	b := setup(t, Config{})
	cb, err := b.sb.IssueAppCert(testAppID, testAppPublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.AppCertSN) != 32 || len(cb.AlipayCertSN) != 32 || len(cb.RootCertSN) != 32 || strings.Contains(cb.RootCertSN, "_") {
		t.Fatalf("SNs %+v", cb)
	}
	if again, _ := b.sb.IssueAppCert(testAppID, testAppPublicPEM); again.AppCertSN != cb.AppCertSN {
		t.Fatal("re-issue with the same key changed the certificate")
	}
	c := certClient(t, b, cb.AppCertPEM, cb.RootCertPEM, cb.AlipayCertPEM)
	b.client = c
	rsp := precreate(t, b, "CM1", "1.00")
	if rsp.QRCode == "" {
		t.Fatal("no QR")
	}
	form, _ := c.URLValues(alipay.TradeQuery{OutTradeNo: "CM1"})
	body := postForm(t, b.srv.URL, form)
	if !strings.Contains(body, `},"alipay_cert_sn":"`+cb.AlipayCertSN+`","sign":"`) {
		t.Fatalf("cert-mode envelope: %s", body)
	}
	b.sb.Pay(testAppID, "CM1", "")
	b.sb.runNotifyOnce()
	f := b.notify.received()
	if len(f) != 1 || f[0].Has("alipay_cert_sn") {
		t.Fatalf("notification: %v", f)
	}
	if _, err := c.DecodeNotification(ctx, f[0]); err != nil {
		t.Fatalf("cert-mode notification: %v", err)
	}
	dl, err := c.CertDownload(ctx, alipay.CertDownload{AliPayCertSN: cb.AlipayCertSN})
	if err != nil || dl.IsFailure() {
		t.Fatalf("download: %v %+v", err, dl)
	}
	if pemText, _ := base64.StdEncoding.DecodeString(dl.AliPayCertContent); string(pemText) != string(cb.AlipayCertPEM) {
		t.Fatal("downloaded certificate differs")
	}
	if dl, _ := c.CertDownload(ctx, alipay.CertDownload{AliPayCertSN: "00"}); dl.IsSuccess() {
		t.Fatal("downloaded an unknown SN")
	}
}

func TestCertModeRefusals(t *testing.T) {
	b := setup(t, Config{})
	cb, err := b.sb.IssueAppCert(testAppID, testAppPublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	// key-mode client against a cert-mode app
	r, err := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "x"})
	if err != nil || r.SubCode != "isv.missing-app-cert-sn" {
		t.Fatalf("missing app_cert_sn: %v %+v", err, r)
	}
	other, err := b.sb.IssueAppCert("2021000000000002", publicKeyPEM(&testOtherKey.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	c := certClient(t, b, other.AppCertPEM, cb.RootCertPEM, cb.AlipayCertPEM)
	if r, err := c.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "x"}); err != nil || r.SubCode != "isv.app-cert-not-exist" {
		t.Fatalf("wrong app cert: %v %+v", err, r)
	}
	wrongRoot := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: mustParse(t, cb.AlipayCertPEM).Raw})
	c = certClient(t, b, cb.AppCertPEM, wrongRoot, cb.AlipayCertPEM)
	if r, err := c.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "x"}); err != nil || r.SubCode != "isv.invalid-alipay-root-cert-sn" {
		t.Fatalf("wrong root: %v %+v", err, r)
	}
}

func mustParse(t *testing.T, p []byte) *x509.Certificate {
	blk, _ := pem.Decode(p)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSNVectors checks the SN rules against Alipay's documented root-SN vectors computed from the
// certificates shipped with smartwalle/alipay.
func TestSNVectors(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/smartwalle/alipay/v3").Output()
	if err != nil {
		t.Skip("cannot locate the SDK module:", err)
	}
	dir := strings.TrimSpace(string(out))
	read := func(name string) []*x509.Certificate {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Skip(err)
		}
		var certs []*x509.Certificate
		for {
			var blk *pem.Block
			if blk, b = pem.Decode(b); blk == nil {
				return certs
			}
			if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
				certs = append(certs, c)
			}
		}
	}
	if got := rootCertSN(read("alipayRootCert.crt")); got != "687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6" {
		t.Errorf("root SN %s", got)
	}
	if got := certSN(read("appPublicCert.crt")[0]); got != "9c51a0ddeb34866e5a331e613f57bf0f" {
		t.Errorf("app SN %s", got)
	}
	if got := certSN(read("alipayPublicCert.crt")[0]); got != "05d88faef76d723019c5c14d3ecd014a" {
		t.Errorf("alipay SN %s", got)
	}
}

func TestPersistence(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	s1, err := newSandbox(Config{DataDir: dir}, options{manual: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.RegisterApp(testAppID, base64.StdEncoding.EncodeToString(mustDER(t))); err != nil {
		t.Fatal(err)
	}
	cb, err := s1.IssueAppCert(testAppID, testAppPublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	s1.Close()
	s2, err := newSandbox(Config{DataDir: dir}, options{manual: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.AlipayPublicKeyPEM() != s1.AlipayPublicKeyPEM() || s2.SellerID(testAppID) != s1.SellerID(testAppID) ||
		len(s2.SellerID(testAppID)) != 16 {
		t.Fatal("keys or seller id not persisted")
	}
	cb2, err := s2.IssueAppCert(testAppID, testAppPublicPEM)
	if err != nil || cb2.AppCertSN != cb.AppCertSN || cb2.RootCertSN != cb.RootCertSN || cb2.AlipayCertSN != cb.AlipayCertSN {
		t.Fatalf("certificates not persisted: %v", err)
	}
}

func mustDER(t *testing.T) []byte {
	der, err := x509.MarshalPKIXPublicKey(&testAppKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestNewPublicConstructor(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Close() // idempotent
	fi, err := os.Stat(filepath.Join(dir, keyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, fi)
	}
	if !strings.HasPrefix(s.AlipayPublicKeyPEM(), "-----BEGIN PUBLIC KEY-----") {
		t.Fatal("public key PEM")
	}
}
