package doctor

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

const certAppID = "2021000000000002"

// certMode switches a second sandbox app to certificate mode and returns the bundle the
// sandbox issued and a configuration using it.
func (b *bundle) certMode(t *testing.T) (*sandbox.CertBundle, config.Config) {
	t.Helper()
	cb, err := b.sb.IssueAppCert(certAppID, pubPEM(&b.key.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	c := b.cfg
	c.Alipay.AppID, c.Alipay.AppPublicKey, c.Alipay.AlipayPublicKey = certAppID, "", ""
	c.Alipay.AppCert, c.Alipay.AlipayCert, c.Alipay.RootCert = string(cb.AppCertPEM), string(cb.AlipayCertPEM), string(cb.RootCertPEM)
	return cb, c
}

// appCertValid issues, with the sandbox's own root (its data dir's ca.json), an app
// certificate over the app key valid from notBefore to notAfter.
func (b *bundle) appCertValid(t *testing.T, notBefore, notAfter time.Time) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(b.dir, "sandbox", "ca.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ca struct {
		RootKeyPEM string `json:"root_key_pem"`
		RootPEM    string `json:"root_pem"`
	}
	if err := json.Unmarshal(raw, &ca); err != nil {
		t.Fatal(err)
	}
	kb, _ := pem.Decode([]byte(ca.RootKeyPEM))
	rb, _ := pem.Decode([]byte(ca.RootPEM))
	rootKey, err1 := x509.ParsePKCS1PrivateKey(kb.Bytes)
	root, err2 := x509.ParseCertificate(rb.Bytes)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: certAppID},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tpl, root, &b.key.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestCertMode: the SNs doctor computes are the sandbox's, every certificate is within
// its dates, and the signed query passes with alipay_root_cert_sn over the RSA-family roots.
func TestCertMode(t *testing.T) {
	b := setup(t)
	cb, c := b.certMode(t)
	rs := b.run(t, func(cfg *config.Config, o *Options) { *cfg, o.Local = c, true })
	want(t, rs, "certificate SNs", OK, "app_cert_sn="+cb.AppCertSN, "alipay_cert_sn="+cb.AlipayCertSN, "alipay_root_cert_sn="+cb.RootCertSN)
	want(t, rs, "app key pair", OK, "the app certificate's key")
	want(t, rs, "app certificate", OK, "valid until")
	want(t, rs, "Alipay certificate", OK, "valid until")
	want(t, rs, "root certificate 1", OK, "f2fpay Sandbox Root CA R1")
	for _, r := range rs {
		if r.Name == "root certificate 2" {
			t.Errorf("the ECDSA root is checked: %s", r.Detail)
		}
	}
	want(t, rs, "gateway", OK, "ACQ.TRADE_NOT_EXIST")
	want(t, rs, "Alipay certificates", OK, "Alipay signs with "+cb.AlipayCertSN, "the configured alipay.alipay_cert", "0 in the database's cache")
	if Failed(rs) {
		t.Error("Failed in a healthy certificate mode")
	}
}

// TestExpiredCertificate: an app certificate past its dates fails with the fix to renew
// it, one within 30 days warns; the key pair still matches.
func TestExpiredCertificate(t *testing.T) {
	b := setup(t)
	_, c := b.certMode(t)
	now := time.Now()
	c.Alipay.AppCert = b.appCertValid(t, now.AddDate(-1, 0, 0), now.Add(-24*time.Hour))
	rs := b.run(t, func(cfg *config.Config, _ *Options) { *cfg = c })
	want(t, rs, "app certificate", Fail, "expired on "+day(now.Add(-24*time.Hour)), "renew the app public-key certificate")
	want(t, rs, "app key pair", OK)
	want(t, rs, "gateway", Fail, "isv.app-cert-not-exist") // the sandbox never issued it
	c.Alipay.AppCert = b.appCertValid(t, now.AddDate(-1, 0, 0), now.Add(10*24*time.Hour+time.Hour))
	rs = b.run(t, func(cfg *config.Config, _ *Options) { *cfg = c })
	want(t, rs, "app certificate", Warn, "in 10 days")
	c.Alipay.AppCert = b.appCertValid(t, now.Add(24*time.Hour), now.AddDate(1, 0, 0))
	rs = b.run(t, func(cfg *config.Config, _ *Options) { *cfg = c })
	want(t, rs, "app certificate", Fail, "valid only from")
}

// TestUnreadableCertificates: certificate mode with a certificate that does not parse
// fails with the files to give.
func TestUnreadableCertificates(t *testing.T) {
	b := setup(t)
	_, c := b.certMode(t)
	c.Alipay.RootCert = "-----BEGIN CERTIFICATE-----\nbm9uZQ==\n-----END CERTIFICATE-----\n"
	rs := b.run(t, func(cfg *config.Config, _ *Options) { *cfg = c })
	want(t, rs, "certificates", Fail, "Alipay root certificate", "alipayRootCert.crt")
	want(t, rs, "app key pair", Skip)
}
