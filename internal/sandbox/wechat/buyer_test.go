package wechat

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBuyerPage(t *testing.T) {
	b := setup(t, Config{})
	code := b.order(t, "f2fpage00001", 1234, "https://shop.example/notify")
	pr := strings.TrimPrefix(code, "weixin://wxpay/bizpayurl?pr=")
	status, page := get(t, b.srv.URL+"/sandbox/wechat/scan/"+pr)
	if status != 200 || !strings.Contains(page, "¥12.34") || !strings.Contains(page, `id="pay"`) || !strings.Contains(page, "订单未支付") {
		t.Fatalf("page %d:\n%s", status, page)
	}
	post := func(outcome string) (int, string) {
		resp, err := http.PostForm(b.srv.URL+"/sandbox/wechat/scan/"+pr, url.Values{"outcome": {outcome}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if s, p := post("cancel"); s != 200 || !strings.Contains(p, "已取消") || b.s.Trades(testMchID, "f2fpage00001")[0].State != "NOTPAY" {
		t.Fatalf("cancel: %d %s", s, p)
	}
	if s, p := post("insufficient_balance"); s != 200 || !strings.Contains(p, "余额不足") || b.s.Trades(testMchID, "f2fpage00001")[0].State != "NOTPAY" {
		t.Fatalf("insufficient balance: %d %s", s, p)
	}
	if s, p := post("success"); s != 200 || !strings.Contains(p, "支付成功") || strings.Contains(p, `id="pay"`) {
		t.Fatalf("pay: %d %s", s, p)
	}
	if s, _ := post("success"); s != 409 {
		t.Fatalf("paying twice: %d", s)
	}
	if s, _ := get(t, b.srv.URL+"/sandbox/wechat/scan/nosuchcode"); s != 404 {
		t.Fatalf("unknown pr: %d", s)
	}
}

func TestAPIPaySelectors(t *testing.T) {
	b := setup(t, Config{})
	code := b.order(t, "f2fselect001", 1, "https://shop.example/notify")
	r := b.api(t, "POST", "/pay", map[string]any{"code_url": code, "openid": "oTestBuyer"})
	if v := r.json(t); r.status != 200 || v["trade_state"] != "SUCCESS" || v["payer_openid"] != "oTestBuyer" {
		t.Fatalf("by code_url: %d %s", r.status, r.body)
	}
	b.order(t, "f2fselect002", 1, "https://shop.example/notify")
	if r := b.api(t, "POST", "/pay", map[string]any{"mchid": testMchID, "out_trade_no": "f2fselect002", "outcome": "refund"}); r.status != 400 {
		t.Fatalf("bad outcome: %d %s", r.status, r.body)
	}
	if r := b.api(t, "POST", "/pay", map[string]any{"pr": "nosuchpr"}); r.status != 404 {
		t.Fatalf("unknown pr: %d", r.status)
	}
	tr := b.api(t, "GET", "/trades?mchid="+testMchID+"&out_trade_no=f2fselect001", nil).json(t)["trades"].([]any)
	if len(tr) != 1 || tr[0].(map[string]any)["code_url"] != code {
		t.Fatalf("trades: %v", tr)
	}
}

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
