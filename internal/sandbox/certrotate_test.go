package sandbox

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/smartwalle/alipay/v3"
)

// certClients configures the raw v3 clients for certificate mode as a merchant would.
func certClients(t *testing.T, cs map[sdkStyle]*v3Client, cb *CertBundle) {
	t.Helper()
	pub := mustParse(t, cb.AlipayCertPEM).PublicKey.(*rsa.PublicKey)
	for _, c := range cs {
		c.appCertSN, c.rootCertSN = cb.AppCertSN, cb.RootCertSN
		c.alipayPub, c.alipayCertSN = pub, cb.AlipayCertSN // Node
		c.javaCerts = map[string]*rsa.PublicKey{cb.AlipayCertSN: pub}
	}
}

func TestV3CertMode(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			keyMode := *cs[st]
			cb, err := b.sb.IssueAppCert(testAppID, testAppPublicPEM)
			if err != nil {
				t.Fatal(err)
			}
			certClients(t, cs, cb)
			c := cs[st]
			res := c.call(t, precreateV3("CM1", "1.00", "s", ""))
			if wantOK(t, res); res.header.Get("alipay-sn") != cb.AlipayCertSN {
				t.Fatalf("alipay-sn %q, want %s", res.header.Get("alipay-sn"), cb.AlipayCertSN)
			}
			query := post("/v3/alipay/trade/query", kv{"out_trade_no", "CM1"})
			wantErr(t, st, c.call(t, query), 400, "ACQ.TRADE_NOT_EXIST", true)
			wantErr(t, st, keyMode.call(t, query), 400, "missing-app-cert-sn", false)
			noRoot := *c
			noRoot.rootCertSN = ""
			wantErr(t, st, noRoot.call(t, query), 400, "missing-alipay-root-cert-sn", false)
			noRoot.rootCertSN = cb.AppCertSN
			wantErr(t, st, noRoot.call(t, query), 400, "invalid-alipay-root-cert-sn", false)
			dl := wantOK(t, c.call(t, post("/v3/alipay/open/app/alipaycert/download", kv{"alipay_cert_sn", cb.AlipayCertSN})))
			if pemText, _ := base64.StdEncoding.DecodeString(dl["alipay_cert_content"].(string)); string(pemText) != string(cb.AlipayCertPEM) {
				t.Fatalf("downloaded %v", dl)
			}
		})
	}
}

func rotate(t *testing.T, b *bundle) (sn, prev, pemText string) {
	t.Helper()
	resp := postJSON(t, b.srv.URL+"/sandbox/api/alipay-cert/rotate", "")
	var out map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("rotate: %d %v", resp.StatusCode, err)
	}
	return out["alipay_cert_sn"], out["previous_alipay_cert_sn"], out["alipay_cert"]
}

// chainsTo checks a certificate against a root bundle as a careful merchant must before
// trusting a downloaded certificate.
func chainsTo(t *testing.T, certPEM, rootPEM []byte) *x509.Certificate {
	t.Helper()
	c := mustParse(t, certPEM)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		t.Fatal("root bundle")
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		CurrentTime: c.NotBefore.Add(2 * 3600e9)}); err != nil {
		t.Fatalf("chain: %v", err)
	}
	return c
}

func verifiesNotify(f url.Values, pub *rsa.PublicKey) bool {
	p := map[string]string{}
	for k := range f {
		p[k] = f.Get(k)
	}
	return rsaVerify(pub, hashSHA256, []byte(signContent(p, "sign", "sign_type")), f.Get("sign"))
}

// TestRotateAlipayCert renews the Alipay certificate mid-run: certificate-mode answers
// and notifications move to the new key and SN, every certificate stays downloadable,
// public-key-mode apps notice nothing.
func TestRotateAlipayCert(t *testing.T) {
	b, cs := v3Setup(t, Config{})
	cb, err := b.sb.IssueAppCert(testAppID, testAppPublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	certClients(t, cs, cb)
	v2 := certClient(t, b, cb.AppCertPEM, cb.RootCertPEM, cb.AlipayCertPEM)
	b.client = v2
	precreate(t, b, "RT1", "1.00")
	sn, prev, newPEM := rotate(t, b)
	if prev != cb.AlipayCertSN || sn == prev || len(sn) != 32 {
		t.Fatalf("rotated %s from %s (was %s)", sn, prev, cb.AlipayCertSN)
	}
	newCert := chainsTo(t, []byte(newPEM), cb.RootCertPEM)
	newPub, oldPub := newCert.PublicKey.(*rsa.PublicKey), cs[styleNode].alipayPub
	if certSN(newCert) != sn || newPub.Equal(oldPub) || newCert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Fatal("the new certificate needs its own key and SN, signed like the first")
	}
	// v2: the answer reports the new SN, signed with the new key
	form, _ := v2.URLValues(alipay.TradeQuery{OutTradeNo: "RT1"})
	if body := postForm(t, b.srv.URL, form); !strings.Contains(body, `,"alipay_cert_sn":"`+sn+`","sign":"`) {
		t.Fatalf("v2 envelope after rotation: %s", body)
	}
	dl, err := v2.CertDownload(ctx, alipay.CertDownload{AliPayCertSN: sn})
	if got, _ := base64.StdEncoding.DecodeString(dl.AliPayCertContent); err != nil || string(got) != newPEM {
		t.Fatalf("download of the new certificate: %v %+v", err, dl)
	}
	if dl, _ := v2.CertDownload(ctx, alipay.CertDownload{AliPayCertSN: prev}); dl.AliPayCertContent != base64.StdEncoding.EncodeToString(cb.AlipayCertPEM) {
		t.Fatal("the rotated-out certificate must stay downloadable")
	}
	if dl, _ := v2.CertDownload(ctx, alipay.CertDownload{AliPayCertSN: "0123456789abcdef0123456789abcdef"}); dl.SubCode != "CERT_NOT_EXIST" {
		t.Fatalf("unknown SN: %+v", dl)
	}
	if err := v2.LoadAlipayCertPublicKey(newPEM); err != nil {
		t.Fatal(err)
	}
	if r, err := v2.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "RT1"}); err != nil || r.SubCode != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("v2 with the new certificate: %v %+v", err, r)
	}
	// v3: Node compares a 2xx's alipay-sn with its configured SN, Java looks the SN of any
	// signed answer (this 4xx included) up in its cache
	query := post("/v3/alipay/trade/query", kv{"out_trade_no", "RT1"})
	if r := cs[styleNode].call(t, precreateV3("RT2", "1.00", "s", "")); r.sdkErr != "response-alipay-sn-verify-error" {
		t.Fatalf("node with the old certificate: %+v", r)
	}
	if r := cs[styleJava].call(t, query); !strings.Contains(r.sdkErr, "["+sn+"]已过期") || r.header.Get("alipay-sn") != sn {
		t.Fatalf("java with the old certificate: %q", r.sdkErr)
	}
	cs[styleNode].alipayPub, cs[styleNode].alipayCertSN = newPub, sn
	cs[styleJava].javaCerts[sn] = newPub
	for _, st := range styles {
		wantErr(t, st, cs[st].call(t, query), 400, "ACQ.TRADE_NOT_EXIST", true)
		old := wantOK(t, cs[st].call(t, post("/v3/alipay/open/app/alipaycert/download", kv{"alipay_cert_sn", prev})))
		if old["alipay_cert_content"] != base64.StdEncoding.EncodeToString(cb.AlipayCertPEM) {
			t.Fatalf("%s: old certificate %v", st, old)
		}
		wantErr(t, st, cs[st].call(t, post("/v3/alipay/open/app/alipaycert/download", kv{"alipay_cert_sn", "00"})),
			400, "CERT_NOT_EXIST", true)
	}
	// notifications to the certificate-mode app: signed with the new key from now on
	if _, err := b.sb.Pay(testAppID, "RT1", ""); err != nil {
		t.Fatal(err)
	}
	b.sb.runNotifyOnce()
	if f := b.notify.received(); len(f) != 1 || !verifiesNotify(f[0], newPub) || verifiesNotify(f[0], oldPub) {
		t.Fatalf("notification after rotation: %v", f)
	}
}

// TestRotateKeepsPublicKeyMode: an app in public-key mode keeps the simulator key.
func TestRotateKeepsPublicKeyMode(t *testing.T) {
	b, cs := v3Setup(t, Config{})
	if _, err := b.sb.IssueAppCert("2021000000000009", publicKeyPEM(&testOtherKey.PublicKey)); err != nil {
		t.Fatal(err) // another app in certificate mode, so a CA exists
	}
	rotate(t, b)
	precreate(t, b, "PK1", "1.00") // smartwalle with the simulator public key
	res := cs[styleJava].call(t, post("/v3/alipay/trade/query", kv{"out_trade_no", "PK1"}))
	if wantErr(t, styleJava, res, 400, "ACQ.TRADE_NOT_EXIST", true); res.header.Get("alipay-sn") != "" {
		t.Fatal("alipay-sn in public-key mode")
	}
	if _, err := b.sb.Pay(testAppID, "PK1", ""); err != nil {
		t.Fatal(err)
	}
	b.sb.runNotifyOnce()
	if f := b.notify.received(); len(f) != 1 || !verifiesNotify(f[0], &testAlipayKey.PublicKey) {
		t.Fatalf("public-key-mode notification after rotation: %v", f)
	}
}

func TestRotatePersistence(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	s1, err := newSandbox(Config{DataDir: dir}, options{manual: true, key: testAlipayKey})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := s1.IssueAppCert(testAppID, testAppPublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := s1.RotateAlipayCert()
	if err != nil || rc.PreviousAlipayCertSN != cb.AlipayCertSN {
		t.Fatalf("rotate: %v %+v", err, rc)
	}
	s1.Close()
	s2, err := newSandbox(Config{DataDir: dir}, options{manual: true, key: testAlipayKey})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	cb2, err := s2.IssueAppCert(testAppID, testAppPublicPEM)
	if err != nil || cb2.AlipayCertSN != rc.AlipayCertSN || string(cb2.AlipayCertPEM) != string(rc.AlipayCertPEM) {
		t.Fatalf("after restart the rotated certificate is current: %v", err)
	}
	pub := mustParse(t, rc.AlipayCertPEM).PublicKey.(*rsa.PublicKey)
	if !s2.signingKey(rc.AlipayCertSN).PublicKey.Equal(pub) || s2.signingKey(cb.AlipayCertSN) != s2.key {
		t.Fatal("signing keys after restart")
	}
}
