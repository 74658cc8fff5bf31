package alipay

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// testKeys caches RSA keys per test binary: generating one takes long under -race.
var (
	keysOnce sync.Once
	keyA     *rsa.PrivateKey
	keyB     *rsa.PrivateKey
)

func testKey(t testing.TB, n int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keyA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keyB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	if n == 0 {
		return keyA
	}
	return keyB
}

func privPKCS1PEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func privPKCS8PEM(k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pubPEM(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func pubBase64(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	return base64.StdEncoding.EncodeToString(der)
}

func wantCode(t *testing.T, err error, code payment.Code) *payment.Error {
	t.Helper()
	if got := payment.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	var pe *payment.Error
	errors.As(err, &pe)
	return pe
}

func TestNewKeyForms(t *testing.T) {
	app, ali := testKey(t, 0), testKey(t, 1)
	der8, _ := x509.MarshalPKCS8PrivateKey(app)
	for name, cfg := range map[string]Config{
		"pkcs1 pem + pkix pem":  {PrivateKey: privPKCS1PEM(app), AlipayPublicKey: pubPEM(&ali.PublicKey)},
		"pkcs8 pem + base64":    {PrivateKey: privPKCS8PEM(app), AlipayPublicKey: pubBase64(&ali.PublicKey)},
		"bare base64 pkcs8":     {PrivateKey: base64.StdEncoding.EncodeToString(der8), AlipayPublicKey: "\n" + pubPEM(&ali.PublicKey)},
		"pkcs1 public key pem":  {PrivateKey: privPKCS1PEM(app), AlipayPublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&ali.PublicKey)}))},
		"wrapped base64 pkcs1":  {PrivateKey: wrap(base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(app))), AlipayPublicKey: pubBase64(&ali.PublicKey)},
		"custom gateway & time": {PrivateKey: privPKCS1PEM(app), AlipayPublicKey: pubPEM(&ali.PublicKey), GatewayURL: "http://127.0.0.1:1/sandbox/gateway.do", Timeout: time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.AppID = "app1"
			ch, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if ch.AppID() != "app1" || ch.SellerID() != "" {
				t.Fatalf("AppID/SellerID = %q/%q", ch.AppID(), ch.SellerID())
			}
		})
	}
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	return b.String() + s
}

func TestNewErrors(t *testing.T) {
	app, ali := testKey(t, 0), testKey(t, 1)
	good := Config{AppID: "app1", PrivateKey: privPKCS1PEM(app), AlipayPublicKey: pubPEM(&ali.PublicKey)}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no app id", func(c *Config) { c.AppID = "" }, "AppID is required"},
		{"empty private key", func(c *Config) { c.PrivateKey = " " }, "app private key: empty"},
		{"garbage private key", func(c *Config) { c.PrivateKey = "not a key!" }, "app private key: neither PEM nor base64"},
		{"broken pem", func(c *Config) { c.PrivateKey = "-----BEGIN RSA PRIVATE KEY-----\nxx" }, "app private key: not a valid PEM block"},
		{"public key as private", func(c *Config) { c.PrivateKey = pubPEM(&app.PublicKey) }, "app private key: not an RSA private key"},
		{"no alipay key", func(c *Config) { c.AlipayPublicKey = "" }, "Alipay public key is required"},
		{"private key as alipay key", func(c *Config) { c.AlipayPublicKey = privPKCS1PEM(ali) }, "this is a private key"},
		{"own key as alipay key", func(c *Config) { c.AlipayPublicKey = pubPEM(&app.PublicKey) }, "app's own public key"},
		{"both modes", func(c *Config) { c.AppCertPEM, c.AlipayCertPEM, c.RootCertPEM = []byte("x"), []byte("x"), []byte("x") }, "not both"},
		{"partial certs", func(c *Config) { c.AlipayPublicKey, c.AppCertPEM = "", []byte("x") }, "all three certificates"},
		{"bad certs", func(c *Config) {
			c.AlipayPublicKey, c.AppCertPEM, c.AlipayCertPEM, c.RootCertPEM = "", []byte("x"), []byte("x"), []byte("x")
		}, "app public-key certificate: no parseable PEM certificate"},
		{"bad gateway", func(c *Config) { c.GatewayURL = "gateway.do" }, "gateway URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "MII") {
				t.Fatalf("error leaks key material: %v", err)
			}
		})
	}
}

func TestFoldAnswer(t *testing.T) {
	for _, tc := range []struct {
		h       alipay.Error
		want    payment.Code
		wantSub string
	}{
		{alipay.Error{Code: "10000", Msg: "Success"}, "", ""},
		{alipay.Error{Code: "20000", Msg: "Service Currently Unavailable", SubCode: "isp.unknow-error"}, payment.CodeUpstreamUnavailable, "isp.unknow-error"},
		{alipay.Error{Code: "40004", SubCode: "ACQ.SYSTEM_ERROR"}, payment.CodeUpstreamUnavailable, "ACQ.SYSTEM_ERROR"},
		{alipay.Error{Code: "40004", SubCode: "ACQ.TRADE_NOT_EXIST", SubMsg: "交易不存在"}, payment.CodeUpstreamRejected, "ACQ.TRADE_NOT_EXIST"},
		{alipay.Error{Code: "40002", SubCode: "isv.invalid-signature"}, payment.CodeUpstreamRejected, "isv.invalid-signature"},
		{alipay.Error{}, payment.CodeUpstreamUnavailable, ""},
	} {
		err := foldAnswer("alipay.trade.query", tc.h)
		if got := payment.ErrorCode(err); got != tc.want {
			t.Errorf("%+v: code %q, want %q", tc.h, got, tc.want)
		}
		if got := subCodeAny(err); got != tc.wantSub {
			t.Errorf("%+v: sub code %q, want %q", tc.h, got, tc.wantSub)
		}
	}
}

func subCodeAny(err error) string {
	var pe *payment.Error
	if errors.As(err, &pe) {
		return pe.AlipaySubCode
	}
	return ""
}

func TestFoldSDKErrors(t *testing.T) {
	h := &alipay.Error{}
	for _, tc := range []struct {
		err    error
		want   payment.Code
		signed bool
	}{
		{rsa.ErrVerification, payment.CodeUpstreamUnavailable, false},
		{alipay.ErrAliPublicKeyNotFound, payment.CodeUpstreamUnavailable, false},
		{&alipay.Error{Code: "10000", Msg: "Success"}, payment.CodeUpstreamUnavailable, false},
		{&alipay.Error{Code: "40002", SubCode: "isv.invalid-app-id"}, payment.CodeUpstreamRejected, true},
		{&url.Error{Op: "Post", URL: "http://x", Err: errors.New("connection refused")}, payment.CodeUpstreamUnavailable, true},
		{fmt.Errorf("wrapped: %w", alipay.ErrBadResponse), payment.CodeUpstreamUnavailable, true},
	} {
		err, signed := fold("alipay.trade.query", h, tc.err)
		if payment.ErrorCode(err) != tc.want || signed != tc.signed {
			t.Errorf("fold(%v) = %v, signed %v; want %s, %v", tc.err, err, signed, tc.want, tc.signed)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, s := range []string{"2024-03-01 08:00:00", "2024-03-01 08:00:00.000", "2024-03-01 08:00:00.5"} {
		got, err := parseTime(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if want := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC); !got.Truncate(time.Second).Equal(want) {
			t.Errorf("%q = %v, want %v", s, got, want)
		}
	}
	if _, err := parseTime("2024-03-01T08:00:00Z"); err == nil {
		t.Error("RFC 3339 accepted")
	}
	if got, err := parseTime(""); got != nil || err != nil {
		t.Errorf("empty = %v, %v", got, err)
	}
	if got := formatTime(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)); got != "2024-03-01 08:00:00" {
		t.Errorf("formatTime = %q", got)
	}
}
