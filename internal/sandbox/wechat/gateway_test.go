package wechat

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var codeURLPattern = regexp.MustCompile(`^weixin://wxpay/bizpayurl\?pr=[0-9A-Za-z]{10}$`)

// A Native order sent exactly as the official Go SDK and the Java SDK lay it out is
// accepted, and the answer is signed with the platform key under its PUB_KEY_ID_….
func TestOfficialSDKRequestsAreAccepted(t *testing.T) {
	b := setup(t, Config{})
	for i, style := range []sdkStyle{goSDK, javaSDK} {
		no := []string{"f2fgo0000001", "f2fjava00001"}[i]
		r := do(t, b.request(t, style, "POST", "/v3/pay/transactions/native", nativeBody(no, 1, "https://shop.example/notify")))
		if r.status != 200 || !codeURLPattern.MatchString(r.json(t)["code_url"].(string)) {
			t.Fatalf("style %d: %d %s", style, r.status, r.body)
		}
		b.checkSigned(t, r)
		if r.header.Get("Request-ID") == "" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Fatalf("headers %v", r.header)
		}
		q := do(t, b.request(t, style, "GET", "/v3/pay/transactions/out-trade-no/"+no+"?mchid="+testMchID, nil))
		if q.status != 200 || q.json(t)["trade_state"] != "NOTPAY" {
			t.Fatalf("style %d query: %d %s", style, q.status, q.body)
		}
	}
}

func TestBadSignaturesAnswerUnsigned401(t *testing.T) {
	b := setup(t, Config{})
	body := nativeBody("f2fsign00001", 1, "https://shop.example/notify")
	cases := map[string]func(*http.Request){
		"other serial": func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testSerial, "0123456789ABCDEF", 1))
		},
		"unregistered mchid": func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testMchID, "1900000999", 1))
		},
		"no Authorization": func(r *http.Request) { r.Header.Del("Authorization") },
		"other scheme": func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "WECHATPAY2-SHA256-RSA2048", "WECHATPAY2-SHA256-RSA", 1))
		},
		"signature altered": func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "signature=\"", "signature=\"A", 1))
		},
	}
	for name, mod := range cases {
		req := b.request(t, goSDK, "POST", "/v3/pay/transactions/native", body)
		mod(req)
		r := do(t, req)
		if r.status != 401 || r.code(t) != "SIGN_ERROR" || r.header.Get("Wechatpay-Signature") != "" {
			t.Errorf("%s: %d %s (signed %v)", name, r.status, r.body, r.header.Get("Wechatpay-Signature") != "")
		}
	}
	// A body changed after signing, and a request signed 6 minutes ago.
	req := b.request(t, goSDK, "POST", "/v3/pay/transactions/native", body)
	req2 := b.request(t, goSDK, "POST", "/v3/pay/transactions/native", nativeBody("f2fsign00001", 2, "https://shop.example/notify"))
	req2.Header.Set("Authorization", req.Header.Get("Authorization"))
	if r := do(t, req2); r.status != 401 || r.code(t) != "SIGN_ERROR" {
		t.Errorf("tampered body: %d %s", r.status, r.body)
	}
	old := b.request(t, goSDK, "POST", "/v3/pay/transactions/native", body)
	b.clock.Advance(5*time.Minute + time.Second)
	if r := do(t, old); r.status != 401 || !strings.Contains(r.json(t)["message"].(string), "5分钟") {
		t.Errorf("stale request: %d %s", r.status, r.body)
	}
	if len(b.s.Trades("", "")) != 0 {
		t.Fatal("a refused request created an order")
	}
}

// The URL signed is the request line's target, or that target without /sandbox/wechat (an
// official SDK, which hard-codes WeChat Pay's host, pointed here by a rewriting transport).
// Any other path is refused.
func TestSignedURLWithOrWithoutThePrefix(t *testing.T) {
	b := setup(t, Config{})
	b.order(t, "f2fprefix001", 1, "https://shop.example/notify")
	_, mk := keys()
	ts := strconv.FormatInt(b.clock.Now().Unix(), 10)
	path := "/v3/pay/transactions/out-trade-no/f2fprefix001?mchid=" + testMchID
	for signed, want := range map[string]int{path: 200, "/sandbox/wechat" + path: 200, "/wechat" + path: 401, "/v3/pay/transactions/out-trade-no/f2fprefix002?mchid=" + testMchID: 401} {
		sig := rsaSign(mk, "GET\n"+signed+"\n"+ts+"\nNONCE\n\n")
		req, _ := http.NewRequest("GET", b.srv.URL+"/sandbox/wechat"+path, nil)
		req.Header.Set("Authorization", `WECHATPAY2-SHA256-RSA2048 mchid="`+testMchID+`",nonce_str="NONCE",timestamp="`+ts+
			`",serial_no="`+testSerial+`",signature="`+sig+`"`)
		if r := do(t, req); r.status != want {
			t.Errorf("signed over %s: %d %s, want %d", signed, r.status, r.body, want)
		}
	}
}
