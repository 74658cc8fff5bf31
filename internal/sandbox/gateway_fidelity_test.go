package sandbox

// Raw-HTTP probes shaped like the official SDKs (Java alipay-sdk-java-all, Node
// alipay-sdk, gopay) rather than smartwalle, so that transport and envelope details the
// smartwalle client never exercises are covered: protocol params in the URL and
// biz_content in the body, sign_type=RSA (Java's default), no format (Node), charset in
// URL and body (gopay), GET, and the byte-level response extraction each SDK does.

import (
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sdkCall signs p (all params except sign) with hash, puts the keys in inURL into the
// query string and the rest into a form body (or everything in the query for GET), and
// returns the raw HTTP response body after checking status and Content-Type.
func sdkCall(t *testing.T, b *bundle, httpMethod string, h crypto.Hash, p map[string]string, inURL ...string) string {
	t.Helper()
	if p["sign"] == "" {
		p["sign"] = rsaSign(testAppKey, h, []byte(signContent(p, "sign")))
	}
	q, body := url.Values{}, url.Values{}
	for k, v := range p {
		if httpMethod == http.MethodGet {
			q.Set(k, v)
			continue
		}
		isURL := false
		for _, u := range inURL {
			isURL = isURL || u == k
		}
		if isURL {
			q.Set(k, v)
		} else {
			body.Set(k, v)
		}
	}
	req, err := http.NewRequest(httpMethod, b.srv.URL+"/sandbox/gateway.do?"+q.Encode(), strings.NewReader(body.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if httpMethod == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html;charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(raw)
}

// javaProtocolKeys are the params the Java SDK's execute() puts in the URL.
var javaProtocolKeys = []string{"method", "version", "app_id", "sign_type", "notify_url", "charset", "timestamp",
	"sign", "format", "alipay_sdk", "app_cert_sn", "alipay_root_cert_sn"}

// nodeProtocolKeys are the params the Node SDK's exec() puts in the URL.
var nodeProtocolKeys = []string{"app_id", "method", "format", "charset", "sign_type", "sign", "timestamp", "version",
	"notify_url", "app_auth_token", "app_cert_sn", "alipay_root_cert_sn"}

func javaParams(method, biz string) map[string]string {
	return map[string]string{"method": method, "version": "1.0", "app_id": testAppID, "sign_type": "RSA",
		"charset": "UTF-8", "format": "json", "alipay_sdk": "alipay-sdk-java-4.39.0.ALL",
		"timestamp": time.Now().In(shanghai).Format(alipayTimeLayout), "biz_content": biz}
}

func nodeParams(method, biz string) map[string]string {
	return map[string]string{"method": method, "version": "1.0", "app_id": testAppID, "sign_type": "RSA2",
		"charset": "utf-8", "timestamp": time.Now().Format(alipayTimeLayout), "biz_content": biz}
}

var compactEnvelope = regexp.MustCompile(`^\{"([a-z_]+_response)":(\{.*\}),"sign":"([A-Za-z0-9+/=]+)"\}$`)

// checkEnvelope verifies the body the way the official SDKs extract the signed text and
// returns the decoded node.
func checkEnvelope(t *testing.T, b *bundle, body, method string, h crypto.Hash) map[string]any {
	t.Helper()
	m := compactEnvelope.FindStringSubmatch(body)
	root := strings.ReplaceAll(method, ".", "_") + "_response"
	if m == nil || m[1] != root {
		t.Fatalf("not the canonical compact envelope for %s: %s", root, body)
	}
	node, sign := m[2], m[3]
	// Java (old JsonConverter): from index(root)+len+2 to index of the first "sign" - 1.
	start := strings.Index(body, root) + len(root) + 2
	end := strings.Index(body, `"sign"`) - 1
	if java := body[start:end]; java != node {
		t.Fatalf("Java extraction differs: %q", java)
	}
	// gopay: from index(`_response":`)+11 to index(`,"sign":`).
	if gp := body[strings.Index(body, `_response":`)+11 : strings.Index(body, `,"sign":`)]; gp != node {
		t.Fatalf("gopay extraction differs: %q", gp)
	}
	// Node getSignStr: after the first "<root>", before the last "sign", first { to last }.
	rest := body[strings.Index(body, `"`+root+`"`)+len(root)+2:]
	rest = rest[:strings.LastIndex(rest, `"sign"`)]
	rest = rest[strings.Index(rest, "{") : strings.LastIndex(rest, "}")+1]
	if rest != node {
		t.Fatalf("Node extraction differs: %q", rest)
	}
	if !rsaVerify(&b.sb.key.PublicKey, h, []byte(node), sign) {
		t.Fatalf("signature does not verify with the request's sign_type (%v): %s", h, body)
	}
	var n map[string]any
	if err := json.Unmarshal([]byte(node), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestJavaSDKStyle: Java's default RSA (SHA1), protocol params in the URL, biz_content in
// the body, alipay_sdk extra param, numeric amounts in biz_content.
func TestJavaSDKStyle(t *testing.T) {
	b := setup(t, Config{})
	p := javaParams("alipay.trade.precreate", `{"out_trade_no":"J1","total_amount":88.88,"subject":"Iphone6 16G"}`)
	p["notify_url"] = b.notify.URL
	n := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, p, javaProtocolKeys...), "alipay.trade.precreate", crypto.SHA1)
	if n["code"] != "10000" || n["out_trade_no"] != "J1" || !strings.Contains(n["qr_code"].(string), "/sandbox/scan/") {
		t.Fatalf("precreate: %v", n)
	}
	// the same order again, amount as a string with two decimals: same QR
	p2 := javaParams("alipay.trade.precreate", `{"out_trade_no":"J1","total_amount":"88.88","subject":"Iphone6 16G"}`)
	n2 := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, p2, javaProtocolKeys...), "alipay.trade.precreate", crypto.SHA1)
	if n2["qr_code"] != n["qr_code"] {
		t.Fatalf("repeat: %v vs %v", n2, n)
	}
	// query before the scan: 40004 ACQ.TRADE_NOT_EXIST, out_trade_no echoed, zero amounts
	q := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, javaParams("alipay.trade.query", `{"out_trade_no":"J1"}`),
		javaProtocolKeys...), "alipay.trade.query", crypto.SHA1)
	if q["code"] != "40004" || q["msg"] != "Business Failed" || q["sub_code"] != "ACQ.TRADE_NOT_EXIST" ||
		q["out_trade_no"] != "J1" || q["buyer_pay_amount"] != "0.00" || q["receipt_amount"] != "0.00" {
		t.Fatalf("query unscanned: %v", q)
	}
	if _, err := b.sb.Pay(testAppID, "J1", ""); err != nil {
		t.Fatal(err)
	}
	q = checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, javaParams("alipay.trade.query", `{"out_trade_no":"J1"}`),
		javaProtocolKeys...), "alipay.trade.query", crypto.SHA1)
	if q["trade_status"] != "TRADE_SUCCESS" || q["total_amount"] != "88.88" || q["buyer_pay_amount"] != "88.88" {
		t.Fatalf("query paid: %v", q)
	}
	// refund with a numeric amount, then the same request again (fund_change N)
	for i, want := range []string{"Y", "N"} {
		r := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, javaParams("alipay.trade.refund",
			`{"out_trade_no":"J1","refund_amount":10,"out_request_no":"R1"}`), javaProtocolKeys...), "alipay.trade.refund", crypto.SHA1)
		if r["code"] != "10000" || r["fund_change"] != want || r["refund_fee"] != "10.00" {
			t.Fatalf("refund #%d: %v", i, r)
		}
	}
	r := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, javaParams("alipay.trade.fastpay.refund.query",
		`{"out_trade_no":"J1","out_request_no":"R1"}`), javaProtocolKeys...), "alipay.trade.fastpay.refund.query", crypto.SHA1)
	if r["refund_status"] != "REFUND_SUCCESS" || r["refund_amount"] != "10.00" {
		t.Fatalf("refund query: %v", r)
	}
	r = checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, javaParams("alipay.trade.fastpay.refund.query",
		`{"out_trade_no":"J1","out_request_no":"NOPE"}`), javaProtocolKeys...), "alipay.trade.fastpay.refund.query", crypto.SHA1)
	if r["code"] != "10000" || r["refund_amount"] != nil || r["refund_status"] != nil {
		t.Fatalf("refund query unknown: %v", r)
	}
	// errors are signed too (a bad signature, Java style)
	bad := javaParams("alipay.trade.query", `{"out_trade_no":"J1"}`)
	bad["sign"] = rsaSign(testOtherKey, crypto.SHA1, []byte(signContent(bad, "sign")))
	e := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, bad, javaProtocolKeys...), "alipay.trade.query", crypto.SHA1)
	if e["code"] != "40002" || e["sub_code"] != "isv.invalid-signature" {
		t.Fatalf("bad signature: %v", e)
	}
}

// TestNodeSDKStyle: no format param, local-time timestamp, snake_case biz, protocol
// params in the URL; also GET with everything in the query.
func TestNodeSDKStyle(t *testing.T) {
	b := setup(t, Config{})
	p := nodeParams("alipay.trade.precreate", `{"out_trade_no":"N1","total_amount":"0.01","subject":"测试 & <商品>"}`)
	n := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA256, p, nodeProtocolKeys...), "alipay.trade.precreate", crypto.SHA256)
	if n["code"] != "10000" {
		t.Fatalf("precreate: %v", n)
	}
	g := checkEnvelope(t, b, sdkCall(t, b, "GET", crypto.SHA256, nodeParams("alipay.trade.query", `{"out_trade_no":"N1"}`)),
		"alipay.trade.query", crypto.SHA256)
	if g["sub_code"] != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("GET query: %v", g)
	}
	c := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA256, nodeParams("alipay.trade.close", `{"out_trade_no":"N1"}`),
		nodeProtocolKeys...), "alipay.trade.close", crypto.SHA256)
	if c["sub_code"] != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("close unscanned: %v", c)
	}
	x := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA256, nodeParams("alipay.trade.cancel", `{"out_trade_no":"N1"}`),
		nodeProtocolKeys...), "alipay.trade.cancel", crypto.SHA256)
	if x["code"] != "10000" || x["action"] != "close" {
		t.Fatalf("cancel unscanned: %v", x)
	}
}

// TestGopayStyle: every param in the body, charset also in the URL (same value twice).
func TestGopayStyle(t *testing.T) {
	b := setup(t, Config{})
	p := nodeParams("alipay.trade.precreate", `{"out_trade_no":"G1","total_amount":"1.5","subject":"s"}`)
	p["format"] = "JSON"
	p["sign"] = rsaSign(testAppKey, crypto.SHA256, []byte(signContent(p, "sign")))
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	resp, err := http.Post(b.srv.URL+"/sandbox/gateway.do?charset=utf-8", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	n := checkEnvelope(t, b, string(raw), "alipay.trade.precreate", crypto.SHA256)
	if n["code"] != "10000" {
		t.Fatalf("precreate: %v", n)
	}
}

// TestEmptyParamsDropped: an empty parameter (e.g. return_url=) is not part of the
// string-to-sign, as the real gateway does.
func TestEmptyParamsDropped(t *testing.T) {
	b := setup(t, Config{})
	p := javaParams("alipay.trade.query", `{"out_trade_no":"E1"}`)
	p["sign"] = rsaSign(testAppKey, crypto.SHA1, []byte(signContent(p, "sign")))
	p["return_url"] = ""
	p["app_auth_token"] = ""
	n := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, p, javaProtocolKeys...), "alipay.trade.query", crypto.SHA1)
	if n["sub_code"] != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("empty params: %v", n)
	}
}

// javaRsaCheckV1 is AlipaySignature.rsaCheckV1(params, alipayPublicKey, charset, signType):
// drop sign and sign_type, drop empty values, sort, k=v&…, verify with signType.
func javaRsaCheckV1(b *bundle, f url.Values, h crypto.Hash) bool {
	p := map[string]string{}
	for k := range f {
		p[k] = f.Get(k)
	}
	return rsaVerify(&b.sb.key.PublicKey, h, []byte(signContent(p, "sign", "sign_type")), f.Get("sign"))
}

// TestNotificationForRSAApp: an app that talks to the gateway with Java's default
// sign_type=RSA (SHA1withRSA) gets SHA1 responses, but its notifications are signed RSA2.
// On Alipay an app has one key type and responses and notifications follow it, so a
// Java merchant that keeps the default ("RSA") and verifies with
// rsaCheckV1(params, key, "UTF-8", "RSA") — or the 3-argument rsaCheckV1, which is
// SHA1 — refuses every notification.
func TestNotificationForRSAApp(t *testing.T) {
	b := setup(t, Config{})
	p := javaParams("alipay.trade.precreate", `{"out_trade_no":"JR1","total_amount":"9.90","subject":"s"}`)
	p["notify_url"] = b.notify.URL
	n := checkEnvelope(t, b, sdkCall(t, b, "POST", crypto.SHA1, p, javaProtocolKeys...), "alipay.trade.precreate", crypto.SHA1)
	if n["code"] != "10000" {
		t.Fatalf("precreate: %v", n)
	}
	if _, err := b.sb.Pay(testAppID, "JR1", ""); err != nil {
		t.Fatal(err)
	}
	b.sb.runNotifyOnce()
	forms := b.notify.received()
	if len(forms) != 1 {
		t.Fatalf("%d notifications", len(forms))
	}
	f := forms[0]
	if f.Get("fund_bill_list") != `[{"amount":"9.90","fundChannel":"ALIPAYACCOUNT"}]` || f.Get("alipay_cert_sn") != "" {
		t.Errorf("notification body: %v", f)
	}
	if !javaRsaCheckV1(b, f, crypto.SHA256) && !javaRsaCheckV1(b, f, crypto.SHA1) {
		t.Fatalf("notification does not verify at all: %v", f)
	}
	if f.Get("sign_type") != "RSA" || !javaRsaCheckV1(b, f, crypto.SHA1) {
		t.Errorf("app uses sign_type=RSA but the notification says sign_type=%s and is signed with the other hash", f.Get("sign_type"))
	}
}

// TestControlAPIShapes: the control routes of docs/sandbox.md driven the way an outside test would.
func TestControlAPIShapes(t *testing.T) {
	b := setup(t, Config{})
	// bare base64 public key (as Alipay's console shows it) → 201 {"app_id",…}
	pem := strings.TrimSpace(testAppPublicPEM)
	bare := strings.Join(strings.Split(pem, "\n")[1:len(strings.Split(pem, "\n"))-1], "")
	resp := postJSON(t, b.srv.URL+"/sandbox/api/apps", `{"app_id":"2021000000000077","app_public_key":"`+bare+`"}`)
	var app map[string]string
	if resp.StatusCode != 201 || json.NewDecoder(resp.Body).Decode(&app) != nil || app["app_id"] != "2021000000000077" {
		t.Fatalf("apps: %d %v", resp.StatusCode, app)
	}
	precreate(t, b, "C1", "1.00")
	var qr string
	if tr, _ := b.sb.Trade(testAppID, "C1"); tr != nil {
		qr = tr.QRCode
	}
	resp = postJSON(t, b.srv.URL+"/sandbox/api/scan", `{"qr_code":"`+qr+`"}`)
	var tr map[string]any
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tr) != nil || tr["status"] != "WAIT_BUYER_PAY" {
		t.Fatalf("scan: %d %v", resp.StatusCode, tr)
	}
	resp = postJSON(t, b.srv.URL+"/sandbox/api/pay", `{"app_id":"`+testAppID+`","out_trade_no":"C1","outcome":"success","buyer_logon_id":"buyer@sandbox.com"}`)
	tr = nil
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tr) != nil || tr["status"] != "TRADE_SUCCESS" {
		t.Fatalf("pay: %d %v", resp.StatusCode, tr)
	}
	if _, ok := tr["trade_status"]; !ok {
		t.Logf("note: control-API trades carry \"status\", not Alipay's \"trade_status\": %v", tr)
	}
	resp = postJSON(t, b.srv.URL+"/sandbox/api/faults", `{"seed":7,"notify_drop":0,"notify_duplicate":0,"notify_delay_ms":0,"notify_bad_sign":0,"gateway_system_error":0,"gateway_timeout":0,"gateway_latency_ms":0,"methods":[]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("faults: %d", resp.StatusCode)
	}
	// an unknown key in a control body is refused (400) rather than ignored
	resp = postJSON(t, b.srv.URL+"/sandbox/api/pay", `{"app_id":"`+testAppID+`","out_trade_no":"C1","buyer_id":"2088000000000001"}`)
	if resp.StatusCode == 400 {
		t.Logf("note: unknown control-API field refused with 400")
	}
}

// TestCharsetInURLAndBodyDifferentCase: gopay hard-codes ?charset=utf-8 in the URL and
// also sends its configured charset in the body; a client configured with "UTF-8"
// sends the same charset in two spellings. The real gateway reads both as UTF-8.
func TestCharsetInURLAndBodyDifferentCase(t *testing.T) {
	b := setup(t, Config{})
	p := nodeParams("alipay.trade.query", `{"out_trade_no":"CS1"}`)
	p["charset"] = "UTF-8"
	p["sign"] = rsaSign(testAppKey, crypto.SHA256, []byte(signContent(p, "sign")))
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	resp, err := http.Post(b.srv.URL+"/sandbox/gateway.do?charset=utf-8", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	n := checkEnvelope(t, b, string(raw), "alipay.trade.query", crypto.SHA256)
	if n["sub_code"] != "ACQ.TRADE_NOT_EXIST" {
		t.Errorf("charset utf-8 (URL) + UTF-8 (body) refused: %v", n)
	}
}
