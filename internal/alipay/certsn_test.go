package alipay

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

var serialSeq atomic.Int64

// issue signs tpl with parent's key (tpl itself when parent is nil: self-signed). Serial,
// dates and algorithm get defaults when tpl leaves them out.
func issue(t testing.TB, tpl, parent *x509.Certificate, pub any, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	if tpl.SerialNumber == nil {
		tpl.SerialNumber = big.NewInt(1000 + serialSeq.Add(1))
	}
	if tpl.NotBefore.IsZero() {
		tpl.NotBefore, tpl.NotAfter = time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)
	}
	if parent == nil {
		parent = tpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// caTpl is a CA certificate template named cn, signed with alg.
func caTpl(cn string, alg x509.SignatureAlgorithm) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{Country: []string{"CN"}, Organization: []string{"f2fpay Test"}, CommonName: cn},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, SignatureAlgorithm: alg}
}

func pemOf(cs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range cs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// TestRootCertSNKeepsRSAFamily: the root SN takes every certificate of the bundle signed
// in the RSA family (SHA-384, SHA-512 and PSS too), in order, and skips ECDSA. The SDK's own
// computation keeps SHA-256 only here, which is why the channel sends its own.
func TestRootCertSNKeepsRSAFamily(t *testing.T) {
	k := testKey(t, 1)
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bundle := []*x509.Certificate{
		issue(t, caTpl("R256", x509.SHA256WithRSA), nil, &k.PublicKey, k),
		issue(t, caTpl("E384", x509.ECDSAWithSHA384), nil, &ec.PublicKey, ec),
		issue(t, caTpl("R384", x509.SHA384WithRSA), nil, &k.PublicKey, k),
		issue(t, caTpl("R512", x509.SHA512WithRSA), nil, &k.PublicKey, k),
		issue(t, caTpl("PSS", x509.SHA256WithRSAPSS), nil, &k.PublicKey, k),
	}
	want := strings.Join([]string{certSN(bundle[0]), certSN(bundle[2]), certSN(bundle[3]), certSN(bundle[4])}, "_")
	if got := rootCertSN(bundle); got != want {
		t.Fatalf("root SN %s, want %s", got, want)
	}
	sdk, err := alipay.New("app1", privPKCS1PEM(testKey(t, 0)), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := sdk.LoadAliPayRootCert(string(pemOf(bundle...))); err != nil {
		t.Fatal(err)
	}
	v, err := sdk.URLValues(alipay.TradeQuery{OutTradeNo: "o1"})
	if err != nil || v.Get(paramRootCertSN) != certSN(bundle[0]) {
		t.Fatalf("the SDK's root SN is %q (%v); this test documents why the channel computes its own", v.Get(paramRootCertSN), err)
	}
}

// TestChannelSendsRSAFamilyRootSN builds a certificate-mode channel on a chain whose root
// is SHA-512-with-RSA and whose Alipay certificate is SHA-384-with-RSA, next to an ECDSA
// root: the request carries the full root SN once, signed, with biz_content unchanged.
func TestChannelSendsRSAFamilyRootSN(t *testing.T) {
	rootKey, aliKey := testKey(t, 1), testKey(t, 1)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r1 := issue(t, caTpl("Root R1", x509.SHA256WithRSA), nil, &rootKey.PublicKey, rootKey)
	e1 := issue(t, caTpl("Root E1", x509.ECDSAWithSHA256), nil, &ec.PublicKey, ec)
	r2 := issue(t, caTpl("Root R2", x509.SHA512WithRSA), nil, &rootKey.PublicKey, rootKey)
	ali := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Alipay"}, SignatureAlgorithm: x509.SHA384WithRSA}, r2, &aliKey.PublicKey, rootKey)
	app := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "app1"}}, r1, &testKey(t, 0).PublicKey, rootKey)
	ch, err := New(Config{AppID: "app1", PrivateKey: privPKCS1PEM(testKey(t, 0)),
		AppCertPEM: pemOf(app), AlipayCertPEM: pemOf(ali), RootCertPEM: pemOf(r1, e1, r2)})
	if err != nil {
		t.Fatal(err)
	}
	want := certSN(r1) + "_" + certSN(r2)
	v, err := ch.client.URLValues(ch.param(alipay.TradeQuery{OutTradeNo: "o1"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := v[paramRootCertSN]; len(got) != 1 || got[0] != want {
		t.Fatalf("alipay_root_cert_sn %q, want %s", got, want)
	}
	if v.Get("biz_content") != `{"out_trade_no":"o1"}` || v.Get("app_cert_sn") != certSN(app) || v.Get("sign") == "" {
		t.Fatalf("request %v", v)
	}
}
