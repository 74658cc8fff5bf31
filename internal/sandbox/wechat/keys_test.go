package wechat

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"testing"
	"time"
)

func TestMerchantRegistration(t *testing.T) {
	b := setup(t, Config{})
	_, mk := keys()
	cases := []map[string]any{
		{"mchid": "abc", "serial_no": "S", "public_key": pubPEM(&mk.PublicKey), "api_v3_key": testAPIv3Key},
		{"mchid": "1900000200", "serial_no": "S", "public_key": pubPEM(&mk.PublicKey), "api_v3_key": "short"},
		{"mchid": "1900000200", "serial_no": "S", "public_key": "junk", "api_v3_key": testAPIv3Key},
		{"mchid": "1900000200", "public_key": pubPEM(&mk.PublicKey), "api_v3_key": testAPIv3Key},
	}
	for _, c := range cases {
		if r := b.api(t, "POST", "/merchants", c); r.status != 400 {
			t.Errorf("%v: %d %s", c["mchid"], r.status, r.body)
		}
	}
	r := b.api(t, "POST", "/merchants", map[string]any{"mchid": "1900000200", "serial_no": "abc123",
		"public_key": pubPEM(&mk.PublicKey), "api_v3_key": testAPIv3Key})
	v := r.json(t)
	if r.status != 201 || v["platform_public_key_id"] != b.s.PlatformPublicKeyID() || v["platform_public_key"] != b.s.PlatformPublicKeyPEM() || v["serial_no"] != "ABC123" {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	resp, err := http.Get(b.srv.URL + "/sandbox/wechat/api/platform-public-key")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	pemText, _ := io.ReadAll(resp.Body)
	if string(pemText) != b.s.PlatformPublicKeyPEM() || resp.Header.Get("Wechatpay-Serial") != b.s.PlatformPublicKeyID() {
		t.Fatalf("platform key: %s %v", pemText, resp.Header)
	}
}

// With DataDir the platform key, its id and the merchants survive a restart.
func TestDataDirPersists(t *testing.T) {
	dir := t.TempDir()
	pk, mk := keys()
	s1, err := newSandbox(Config{DataDir: dir}, options{manual: true, key: pk})
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.RegisterMerchant(testMchID, testSerial, pubPEM(&mk.PublicKey), testAPIv3Key); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	s2, err := newSandbox(Config{DataDir: dir}, options{manual: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.PlatformPublicKeyID() != s1.PlatformPublicKeyID() || s2.PlatformPublicKeyPEM() != s1.PlatformPublicKeyPEM() {
		t.Fatal("the platform key changed across a restart")
	}
	if m := s2.merchants[testMchID]; m == nil || m.SerialNo != testSerial || m.APIv3Key != testAPIv3Key {
		t.Fatalf("merchant after restart: %+v", m)
	}
}

// A merchant may register its API certificate instead of the bare key: the serial then comes
// from the certificate, and a serial_no that contradicts it is refused.
func TestMerchantRegistrationByCertificate(t *testing.T) {
	b := setup(t, Config{})
	_, mk := keys()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x5157F09EFD), Subject: pkix.Name{CommonName: "1900000300"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &mk.PublicKey, mk)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if r := b.api(t, "POST", "/merchants", map[string]any{"mchid": "1900000300", "serial_no": "ABCDEF",
		"public_key": certPEM, "api_v3_key": testAPIv3Key}); r.status != 400 {
		t.Fatalf("contradicting serial: %d %s", r.status, r.body)
	}
	r := b.api(t, "POST", "/merchants", map[string]any{"mchid": "1900000300", "public_key": certPEM, "api_v3_key": testAPIv3Key})
	if r.status != 201 || r.json(t)["serial_no"] != "5157F09EFD" {
		t.Fatalf("by certificate: %d %s", r.status, r.body)
	}
}
