package sandbox

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// callRaw sends a raw request to the gateway and returns the decoded, signature-checked
// response node. Every answer must be HTTP 200 JSON signed by the simulator.
func callRaw(t testing.TB, sb *Sandbox, method, rawQuery, body string) map[string]any {
	t.Helper()
	return callRawWith(t, sb, signedBySandbox(sb), method, rawQuery, body)
}

// signedBySandbox reports whether sign is the simulator's signature of raw (SHA256withRSA,
// or SHA1withRSA for sign_type=RSA).
func signedBySandbox(sb *Sandbox) func(raw []byte, sign string) bool {
	return func(raw []byte, sign string) bool {
		return rsaVerify(&sb.key.PublicKey, crypto.SHA256, raw, sign) || rsaVerify(&sb.key.PublicKey, crypto.SHA1, raw, sign)
	}
}

// callRawWith is callRaw with the signature check given.
func callRawWith(t testing.TB, sb *Sandbox, verify func(raw []byte, sign string) bool, method, rawQuery, body string) map[string]any {
	t.Helper()
	req := httptest.NewRequest(method, "/sandbox/gateway.do", strings.NewReader(body))
	req.URL.RawQuery = rawQuery
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html;charset=utf-8" {
		t.Fatalf("status %d type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("not JSON: %q", rec.Body.String())
	}
	var sign string
	_ = json.Unmarshal(env["sign"], &sign)
	for k, raw := range env {
		if strings.HasSuffix(k, "_response") {
			// sign_type=RSA asks for SHA1withRSA answers
			if !verify(raw, sign) {
				t.Fatalf("response not signed: %s", rec.Body.String())
			}
			var n map[string]any
			_ = json.Unmarshal(raw, &n)
			return n
		}
	}
	t.Fatalf("no response node: %s", rec.Body.String())
	return nil
}

// signed builds a signed parameter set for testAppID.
func signed(b *bundle, p map[string]string) url.Values {
	base := map[string]string{"app_id": testAppID, "method": "alipay.trade.query", "charset": "utf-8",
		"sign_type": "RSA2", "timestamp": time.Now().In(shanghai).Format(alipayTimeLayout), "version": "1.0",
		"biz_content": `{"out_trade_no":"x"}`}
	for k, v := range p {
		if v == "" {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	v := url.Values{}
	for k, val := range base {
		v.Set(k, val)
	}
	if _, ok := p["sign"]; !ok {
		v.Set("sign", rsaSign(testAppKey, crypto.SHA256, []byte(signContent(base, "sign"))))
	}
	return v
}

func TestGatewayRobustness(t *testing.T) {
	b := setup(t, Config{})
	sub := func(n map[string]any) string { s, _ := n["sub_code"].(string); return s }
	cases := []struct {
		name, method, query, body, want string
	}{
		{"bad escape", "POST", "", "app_id=%zz", "isv.invalid-parameter"},
		{"bad query", "POST", "a=%", "", "isv.invalid-parameter"},
		{"invalid utf8", "POST", "", "app_id=%ff%fe", "isv.invalid-parameter"},
		{"huge body", "POST", "", "biz_content=" + strings.Repeat("a", 2<<20), "isv.invalid-parameter"},
		{"empty", "POST", "", "", "isv.missing-method"},
		{"put", "PUT", "", "", "isv.invalid-parameter"},
		{"unknown method", "POST", "", signed(b, map[string]string{"method": "alipay.trade.wap.pay"}).Encode(), "isv.invalid-method"},
		{"not json", "POST", "", signed(b, map[string]string{"biz_content": "{not json"}).Encode(), "isv.invalid-parameter"},
		{"json array", "POST", "", signed(b, map[string]string{"biz_content": "[1]"}).Encode(), "isv.invalid-parameter"},
		{"trailing data", "POST", "", signed(b, map[string]string{"biz_content": "{}{}"}).Encode(), "isv.invalid-parameter"},
		{"GET ok", "GET", signed(b, nil).Encode(), "", "ACQ.TRADE_NOT_EXIST"},
		{"split ok", "POST", "charset=utf-8", signed(b, nil).Encode(), "ACQ.TRADE_NOT_EXIST"},
		{"conflict", "POST", "charset=gbk", signed(b, nil).Encode(), "isv.invalid-parameter"},
		{"gbk", "POST", "", signed(b, map[string]string{"charset": "gbk"}).Encode(), "isv.invalid-charset"},
		{"xml", "POST", "", signed(b, map[string]string{"format": "xml"}).Encode(), "isv.invalid-format"},
		{"lowercase json", "POST", "", signed(b, map[string]string{"format": "json"}).Encode(), "ACQ.TRADE_NOT_EXIST"},
		{"bad version", "POST", "", signed(b, map[string]string{"version": "2.0"}).Encode(), "isv.invalid-version"},
		{"bad sign_type", "POST", "", signed(b, map[string]string{"sign_type": "MD5"}).Encode(), "isv.invalid-signature-type"},
		{"bad timestamp", "POST", "", signed(b, map[string]string{"timestamp": "2024/01/01"}).Encode(), "isv.invalid-timestamp"},
		{"garbage sign", "POST", "", signed(b, map[string]string{"sign": "!!"}).Encode(), "isv.invalid-signature"},
		{"encrypted", "POST", "", signed(b, map[string]string{"encrypt_type": "AES"}).Encode(), "isv.invalid-encrypt"},
		{"biz wrong type", "POST", "", signed(b, map[string]string{"biz_content": `{"out_trade_no":{"a":1}}`}).Encode(), "ACQ.INVALID_PARAMETER"},
	}
	for _, m := range []string{"method", "app_id", "version", "sign_type", "sign", "timestamp", "charset"} {
		want := "isv.missing-" + map[string]string{"app_id": "app-id", "sign_type": "signature-type", "sign": "signature"}[m]
		if want == "isv.missing-" {
			want += m
		}
		cases = append(cases, struct{ name, method, query, body, want string }{"missing " + m, "POST", "",
			signed(b, map[string]string{m: ""}).Encode(), want})
	}
	for _, c := range cases {
		n := callRaw(t, b.sb, c.method, c.query, c.body)
		if sub(n) != c.want {
			t.Errorf("%s: got %v, want %s", c.name, n, c.want)
		}
	}
	// numbers are accepted for amounts; empty biz strings count as absent
	n := callRaw(t, b.sb, "POST", "", signed(b, map[string]string{"method": "alipay.trade.precreate",
		"biz_content": `{"out_trade_no":"N1","total_amount":88.8,"subject":"s","product_code":""}`}).Encode())
	if n["code"] != "10000" {
		t.Fatalf("numeric amount: %v", n)
	}
}

func TestStrictTimestamp(t *testing.T) {
	b := setup(t, Config{StrictTimestamp: true})
	b.clock.t = time.Now()
	old := time.Now().Add(-20 * time.Minute).In(shanghai).Format(alipayTimeLayout)
	utc := time.Now().UTC().Format(alipayTimeLayout)
	for _, ts := range []string{old, utc} {
		if n := callRaw(t, b.sb, "POST", "", signed(b, map[string]string{"timestamp": ts}).Encode()); n["sub_code"] != "isv.invalid-timestamp" {
			t.Errorf("%s: %v", ts, n)
		}
	}
	if n := callRaw(t, b.sb, "POST", "", signed(b, nil).Encode()); n["sub_code"] != "ACQ.TRADE_NOT_EXIST" {
		t.Errorf("fresh timestamp: %v", n)
	}
}

func TestRetention(t *testing.T) {
	b := setup(t, Config{})
	precreate(t, b, "RT1", "1.00")
	b.sb.Pay(testAppID, "RT1", "")
	precreate(t, b, "RT2", "1.00") // unpaid: dies at expiry, then ages out
	b.clock.Advance(retention + 4*time.Hour)
	b.sb.sweep()
	b.sb.sweep()
	b.clock.Advance(retention)
	b.sb.sweep()
	if n := len(b.sb.trades("", "")); n != 0 {
		t.Fatalf("%d records survive retention", n)
	}
	_ = base64.StdEncoding
}

// FuzzGateway: whatever the query and body, the gateway answers HTTP 200 JSON with a
// signed response node. Answers are signed with HMAC here instead of RSA: the
// invalid-signature answer echoes the string to sign, so nearly every mutation of a
// signed request gets a distinct answer, and an RSA-2048 signature for each (2-5 ms on a
// loaded machine) held the fuzzer to a few hundred executions a second and stalled its
// minimization of an input for most of a minute. RSA answers are what every other test
// of this package checks.
func FuzzGateway(f *testing.F) {
	keys(f)
	mac := func(_ *rsa.PrivateKey, h crypto.Hash, content []byte) string {
		m := hmac.New(sha256.New, []byte("fuzz"))
		fmt.Fprintf(m, "%d|%s", h, content)
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	sb, err := newSandbox(Config{}, options{key: testAlipayKey, manual: true, clock: realClock{}, sign: mac})
	if err != nil {
		f.Fatal(err)
	}
	defer sb.Close()
	sb.RegisterApp(testAppID, testAppPublicPEM)
	b := &bundle{sb: sb}
	f.Add("", signed(b, nil).Encode())
	f.Add("charset=utf-8", signed(b, map[string]string{"method": "alipay.trade.precreate",
		"biz_content": `{"out_trade_no":"F","total_amount":"1","subject":"s"}`}).Encode())
	f.Add("", signed(b, map[string]string{"method": "alipay.trade.pay",
		"biz_content": `{"out_trade_no":"F","total_amount":"1","subject":"s","scene":"bar_code","auth_code":"281234567890123456"}`}).Encode())
	f.Add("", signed(b, map[string]string{"method": "alipay.data.dataservice.bill.downloadurl.query",
		"biz_content": `{"bill_type":"trade","bill_date":"2020-01-01"}`}).Encode())
	f.Add("method=alipay.trade.query", "app_id=%ff&biz_content=[")
	f.Add("a=1;b=2", "a=%zz")
	verify := func(raw []byte, sign string) bool {
		return sign == mac(nil, crypto.SHA256, raw) || sign == mac(nil, crypto.SHA1, raw)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		callRawWith(t, sb, verify, "POST", query, body)
	})
}
