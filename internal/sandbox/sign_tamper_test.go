package sandbox

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/smartwalle/alipay/v3"
)

// rewriting wraps the sandbox and rewrites each gateway response body.
func rewriting(t *testing.T, sb *Sandbox, f func([]byte) []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, r)
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(f(rec.Body.Bytes()))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestResponseEnvelope(t *testing.T) {
	b := setup(t, Config{})
	c := newClient(t, b.srv.URL, "")
	form, _ := c.URLValues(pre("V1", "1.00", "s"))
	resp, err := http.PostForm(b.srv.URL+"/sandbox/gateway.do", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html;charset=utf-8" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := string(body)
	if !strings.HasPrefix(s, `{"alipay_trade_precreate_response":{"code":"10000","msg":"Success","out_trade_no":"V1","qr_code":"`) ||
		!strings.Contains(s, `"},"sign":"`) || strings.Contains(s, "alipay_cert_sn") || strings.Contains(s, " ") {
		t.Fatalf("envelope: %s", s)
	}
}

func TestTamperedResponsesRefused(t *testing.T) {
	b := setup(t, Config{})
	cases := map[string]func([]byte) []byte{
		"one byte in node": func(body []byte) []byte {
			return bytes.Replace(body, []byte(`"out_trade_no":"T1"`), []byte(`"out_trade_no":"T2"`), 1)
		},
		"code flipped": func(body []byte) []byte {
			return bytes.Replace(body, []byte(`"msg":"Business Failed"`), []byte(`"msg":"Business Failex"`), 1)
		},
	}
	for name, f := range cases {
		url := rewriting(t, b.sb, f)
		c := newClient(t, url, b.sb.AlipayPublicKeyPEM())
		var err error
		if name == "code flipped" {
			_, err = c.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "missing"})
		} else {
			_, err = c.TradePreCreate(ctx, pre("T1", "1.00", "s"))
		}
		if err == nil {
			t.Errorf("%s: SDK accepted a tampered response", name)
		}
	}
	// signed by another key: the client trusts a different Alipay key
	c := newClient(t, b.srv.URL, publicKeyPEM(&testOtherKey.PublicKey))
	if _, err := c.TradePreCreate(ctx, pre("T3", "1.00", "s")); err == nil {
		t.Error("SDK accepted a response signed by another key")
	}
	// sanity: the untampered path works
	if _, err := newClient(t, rewriting(t, b.sb, func(b []byte) []byte { return b }), b.sb.AlipayPublicKeyPEM()).
		TradePreCreate(ctx, pre("T4", "1.00", "s")); err != nil {
		t.Errorf("untampered: %v", err)
	}
}

func TestRequestSignatureChecked(t *testing.T) {
	b := setup(t, Config{})
	c := newClient(t, b.srv.URL, "")
	form, _ := c.URLValues(pre("S1", "1.00", "s"))
	form.Set("biz_content", strings.Replace(form.Get("biz_content"), "1.00", "0.01", 1))
	resp, _ := http.PostForm(b.srv.URL+"/sandbox/gateway.do", form)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`"sub_code":"isv.invalid-signature"`)) || !bytes.Contains(body, []byte("&amp;charset=utf-8")) {
		t.Fatalf("tampered request: %s", body)
	}
	// a client with another app key
	other, _ := alipay.New(testAppID, pemPKCS1(testOtherKey), false, alipay.WithSandboxGateway(b.srv.URL+"/sandbox/gateway.do"))
	other.LoadAliPayPublicKey(b.sb.AlipayPublicKeyPEM())
	r, err := other.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "x"})
	if err != nil || r.Code != "40002" || r.SubCode != "isv.invalid-signature" {
		t.Fatalf("other key: %v %+v", err, r)
	}
	// unknown app_id is reported before the signature
	unknown, _ := alipay.New("9999", pemPKCS1(testOtherKey), false, alipay.WithSandboxGateway(b.srv.URL+"/sandbox/gateway.do"))
	unknown.LoadAliPayPublicKey(b.sb.AlipayPublicKeyPEM())
	r, err = unknown.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "x"})
	if err != nil || r.SubCode != "isv.invalid-app-id" {
		t.Fatalf("unknown app: %v %+v", err, r)
	}
}
