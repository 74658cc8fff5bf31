package wechatpay

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// answer is a fake WeChat Pay answer for one call; the real behaviour is tested against the
// simulator (client_sandbox_test.go). Here each case isolates how judge reads an answer.
type answer struct {
	status int
	body   string
	sign   bool   // sign with the platform key
	serial string // override Wechatpay-Serial
	at     time.Time
}

func serve(t *testing.T, a answer) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.sign {
			at := a.at
			if at.IsZero() {
				at = testNow
			}
			serial := a.serial
			if serial == "" {
				serial = testPubKeyID
			}
			for k, v := range signedHeaders(t, otherKey(t), serial, at, []byte(a.body)) {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	return newTestClient(t, func(c *Config) { c.Gateway = srv.URL })
}

func TestJudgeAnswers(t *testing.T) {
	cases := []struct {
		name     string
		a        answer
		outcome  Outcome // 0 = success
		code     string
		unsigned bool
	}{
		{"signed success", answer{status: 200, body: `{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}`, sign: true}, 0, "", false},
		{"unsigned success", answer{status: 200, body: `{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}`}, OutcomeUnknown, "", true},
		{"success signed by another serial", answer{status: 200, body: `{"code_url":"weixin://x"}`, sign: true, serial: "PUB_KEY_ID_other"}, OutcomeUnknown, "", true},
		{"success signed 6 minutes ago", answer{status: 200, body: `{"code_url":"weixin://x"}`, sign: true, at: testNow.Add(-6 * time.Minute)}, OutcomeUnknown, "", true},
		{"success without code_url", answer{status: 200, body: `{}`, sign: true}, OutcomeUnknown, "", false},
		{"success not JSON", answer{status: 200, body: `<html>`, sign: true}, OutcomeUnknown, "", false},
		{"signed refusal", answer{status: 400, body: `{"code":"ORDERPAID","message":"该订单已支付"}`, sign: true}, OutcomeRejected, "ORDERPAID", false},
		{"unsigned SIGN_ERROR", answer{status: 401, body: `{"code":"SIGN_ERROR","message":"签名错误"}`}, OutcomeRejected, "SIGN_ERROR", false},
		{"signed system error", answer{status: 500, body: `{"code":"SYSTEM_ERROR","message":"系统繁忙"}`, sign: true}, OutcomeUnknown, "SYSTEM_ERROR", false},
		{"unsigned bad gateway", answer{status: 502, body: `<html>bad gateway</html>`}, OutcomeUnknown, "", false},
		{"refusal with a bad signature", answer{status: 400, body: `{"code":"ORDERPAID","message":"x"}`, sign: true, serial: "PUB_KEY_ID_other"}, OutcomeUnknown, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, err := serve(t, c.a).NativePrepay(context.Background(), NativeRequest{OutTradeNo: "f2f20240605001",
				Description: "可乐", Total: 300, NotifyURL: "https://shop.example/notify/wechat"})
			if c.outcome == 0 {
				if err != nil || url != "weixin://wxpay/bizpayurl?pr=abc" {
					t.Fatalf("got %q, %v", url, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Outcome != c.outcome || e.Code != c.code || e.Unsigned != c.unsigned {
				t.Fatalf("got %#v, want outcome %s code %q unsigned %v", err, c.outcome, c.code, c.unsigned)
			}
		})
	}
}

func TestTransportFailureIsUnknown(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the connection's close is noticed only after the body
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	c := newTestClient(t, func(c *Config) { c.Gateway = srv.URL; c.Timeout = 50 * time.Millisecond })
	err := c.CloseOrder(context.Background(), "f2f20240605001")
	close(release)
	var e *Error
	if !errors.As(err, &e) || e.Outcome != OutcomeUnknown || e.Message != "timed out" {
		t.Fatalf("got %v", err)
	}
	srv.Close()
	err = c.CloseOrder(context.Background(), "f2f20240605001")
	if !errors.As(err, &e) || e.Outcome != OutcomeUnknown {
		t.Fatalf("closed server: %v", err)
	}
}

func TestInvalidInputIsNotSent(t *testing.T) {
	c := newTestClient(t, nil) // gateway 127.0.0.1:1: anything sent would fail as unknown
	ctx := context.Background()
	good := NativeRequest{OutTradeNo: "f2f20240605001", Description: "可乐", Total: 300, NotifyURL: "https://shop.example/n"}
	bad := map[string]func(*NativeRequest){
		"short out_trade_no": func(r *NativeRequest) { r.OutTradeNo = "a1" },
		"space in no":        func(r *NativeRequest) { r.OutTradeNo = "f2f 2024060" },
		"zero amount":        func(r *NativeRequest) { r.Total = 0 },
		"no description":     func(r *NativeRequest) { r.Description = "" },
		"long description":   func(r *NativeRequest) { r.Description = strings.Repeat("可", 128) },
		"relative notify":    func(r *NativeRequest) { r.NotifyURL = "/notify" },
		"notify with query":  func(r *NativeRequest) { r.NotifyURL = "https://shop.example/n?a=1" },
	}
	for name, m := range bad {
		r := good
		m(&r)
		_, err := c.NativePrepay(ctx, r)
		var e *Error
		if !errors.As(err, &e) || e.Outcome != OutcomeRejected || !strings.HasPrefix(e.Message, "not sent") {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := c.CreateRefund(ctx, RefundRequest{OutTradeNo: "f2f20240605001", OutRefundNo: "r1", Refund: 400, Total: 300})
	if e := (*Error)(nil); !errors.As(err, &e) || e.Outcome != OutcomeRejected {
		t.Errorf("refund over total: %v", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	bad := map[string]func(*Config){
		"no mchid":          func(c *Config) { c.MchID = "" },
		"short APIv3 key":   func(c *Config) { c.APIv3Key = "short" },
		"bad private key":   func(c *Config) { c.PrivateKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" },
		"no platform key":   func(c *Config) { c.PlatformPublicKey = "" },
		"key without id":    func(c *Config) { c.PlatformPublicKeyID = "" },
		"bad platform cert": func(c *Config) { c.PlatformCertificates = []string{"junk"} },
		"ftp gateway":       func(c *Config) { c.Gateway = "ftp://example" },
	}
	for name, m := range bad {
		cfg := Config{MchID: testMchID, AppID: testAppID, CertSerial: "S",
			PrivateKey: strings.ReplaceAll(sdkPrivateKey, "TESTING KEY", "PRIVATE KEY"), APIv3Key: nodeAPIv3Key,
			PlatformPublicKey: sdkPublicKey, PlatformPublicKeyID: testPubKeyID}
		m(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := New(Config{MchID: testMchID, AppID: testAppID, CertSerial: "S",
		PrivateKey: strings.ReplaceAll(sdkPrivateKey, "TESTING KEY", "PRIVATE KEY"), APIv3Key: nodeAPIv3Key,
		PlatformCertificates: []string{sdkPlatformCert}})
	if err != nil || c.Verifier().Serial() != sdkNotifySerial {
		t.Fatalf("certificate mode: %v", err)
	}
}
