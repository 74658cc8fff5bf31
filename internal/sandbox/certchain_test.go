package sandbox

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

// selfSigned makes a root signed by key with alg (0: the key's default).
func selfSigned(t *testing.T, cn string, key crypto.Signer, alg x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	tpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: cn, Country: []string{"CN"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, SignatureAlgorithm: alg}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRootSNKeepsRSAFamily: the root SN takes every certificate signed in the RSA OID
// family (SHA-384/512, PSS included) in bundle order and skips ECDSA and Ed25519 ones.
func TestRootSNKeepsRSAFamily(t *testing.T) {
	keys(t)
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bundle := []*x509.Certificate{
		selfSigned(t, "R256", testOtherKey, x509.SHA256WithRSA),
		selfSigned(t, "E384", ec, x509.ECDSAWithSHA384),
		selfSigned(t, "R384", testOtherKey, x509.SHA384WithRSA),
		selfSigned(t, "Ed", ed, 0),
		selfSigned(t, "R512", testOtherKey, x509.SHA512WithRSA),
		selfSigned(t, "PSS", testOtherKey, x509.SHA256WithRSAPSS),
	}
	want := []string{certSN(bundle[0]), certSN(bundle[2]), certSN(bundle[4]), certSN(bundle[5])}
	if got := rootCertSN(bundle); got != strings.Join(want, "_") {
		t.Fatalf("root SN %s, want %s", got, strings.Join(want, "_"))
	}
	for i, wantRSA := range []bool{true, false, true, false, true, true} {
		if rsaFamilySigned(bundle[i]) != wantRSA {
			t.Errorf("%s: rsaFamilySigned %v", bundle[i].Subject.CommonName, !wantRSA)
		}
	}
}

// TestMixedRootBundle: with MixedRootBundle the chain holds an ECDSA root, a
// SHA-512-with-RSA root and a SHA-384-with-RSA Alipay certificate; the root SN counts both
// RSA roots. smartwalle keeps only SHA-1/SHA-256 roots, so its alipay_root_cert_sn is one
// SN short and refused: a gateway on that SDK has to compute the root SN itself.
func TestMixedRootBundle(t *testing.T) {
	b, cs := v3Setup(t, Config{MixedRootBundle: true})
	cb, err := b.sb.IssueAppCert(testAppID, testAppPublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := parseCerts(cb.RootCertPEM)
	if len(roots) != 3 || roots[1].SignatureAlgorithm != x509.ECDSAWithSHA256 || roots[2].SignatureAlgorithm != x509.SHA512WithRSA {
		t.Fatalf("root bundle %d certificates", len(roots))
	}
	if cb.RootCertSN != certSN(roots[0])+"_"+certSN(roots[2]) {
		t.Fatalf("root SN %s", cb.RootCertSN)
	}
	leaf := chainsTo(t, cb.AlipayCertPEM, cb.RootCertPEM)
	if leaf.SignatureAlgorithm != x509.SHA384WithRSA || string(leaf.RawIssuer) != string(roots[2].RawSubject) {
		t.Fatalf("Alipay certificate %v issued by %s", leaf.SignatureAlgorithm, leaf.Issuer)
	}
	certClients(t, cs, cb)
	for _, st := range styles {
		wantOK(t, cs[st].call(t, precreateV3("MX-"+string(st), "1.00", "s", "")))
	}
	sw := certClient(t, b, cb.AppCertPEM, cb.RootCertPEM, cb.AlipayCertPEM)
	if r, err := sw.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "MX-node"}); err != nil || r.SubCode != "isv.invalid-alipay-root-cert-sn" {
		t.Fatalf("smartwalle's own root SN: %v %+v", err, r)
	}
	rc, err := b.sb.RotateAlipayCert()
	if err != nil {
		t.Fatal(err)
	}
	if c := chainsTo(t, rc.AlipayCertPEM, cb.RootCertPEM); c.SignatureAlgorithm != x509.SHA384WithRSA {
		t.Fatalf("rotated certificate signed with %v", c.SignatureAlgorithm)
	}
}
