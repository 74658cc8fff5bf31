package sandbox

import (
	"crypto/rsa"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signedAuth is an authorization header signed by key over v3's string to sign.
func signedAuth(key *rsa.PrivateKey, method, signedURI, body, token string) string {
	auth := "app_id=" + testAppID + ",nonce=" + uuid4() + ",timestamp=" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	content := auth + "\n" + method + "\n" + signedURI + "\n" + body + "\n"
	if token != "" {
		content += token + "\n"
	}
	return "ALIPAY-SHA256withRSA " + auth + ",sign=" + signWith(key, content)
}

// sendRaw sends a hand-made request to base+"/sandbox"+uri and reads the answer without
// verifying it (for the tests that look at refusals).
func sendRaw(t *testing.T, b *bundle, method, uri, body string, hdr map[string]string) v3Result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.srv.URL+"/sandbox"+uri, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	res := v3Result{status: resp.StatusCode, header: resp.Header}
	res.raw, _ = io.ReadAll(resp.Body)
	if res.status >= 400 {
		res.decodeError(t)
	}
	return res
}

func wantRaw(t *testing.T, res v3Result, status int, code string, signed bool) {
	t.Helper()
	if res.status != status || res.code != code || (res.header.Get("alipay-signature") != "") != signed {
		t.Fatalf("want %d %s (signed %v), got %d %s %q, signature %q", status, code, signed, res.status, res.code, res.msg,
			res.header.Get("alipay-signature"))
	}
}

func TestV3GatewayRefusals(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			_, cs := v3Setup(t, Config{})
			query := post("/v3/alipay/trade/query", kv{"out_trade_no", "G1"})
			stranger := *cs[st]
			stranger.appID = "2021999999999999"
			wantErr(t, st, stranger.call(t, query), 400, "invalid-app-id", false)
			forger := *cs[st]
			forger.key = testOtherKey
			res := forger.call(t, query)
			wantErr(t, st, res, 401, "invalid-signature", false)
			if !strings.Contains(res.msg, "\nPOST\n/v3/alipay/trade/query\n{\"out_trade_no\":\"G1\"}\n") {
				t.Fatalf("the refusal should quote the expected string to sign: %q", res.msg)
			}
			wantErr(t, st, cs[st].call(t, post("/v3/alipay/trade/nosuch", kv{"a", "b"})), 400, "invalid-method", false)
			extra := *cs[st]
			extra.extraAuth = "expired_seconds=120" // Node's additionalAuthInfo, Alipay's doc examples
			wantErr(t, st, extra.call(t, query), 400, "ACQ.TRADE_NOT_EXIST", true)
			extra.extraAuth = "expired_seconds=soon"
			wantErr(t, st, extra.call(t, query), 400, "invalid-parameter", false)
		})
	}
}

func TestV3RawRefusals(t *testing.T) {
	b, _ := v3Setup(t, Config{})
	const path = "/v3/alipay/trade/query"
	body := `{"out_trade_no":"X1"}`
	jsonCT := "application/json"
	wantRaw(t, sendRaw(t, b, "POST", path, body, map[string]string{"Content-Type": jsonCT}), 400, "missing-timestamp", false)
	wantRaw(t, sendRaw(t, b, "POST", path, body, map[string]string{"Authorization": "Bearer abc"}), 400, "invalid-signature-type", false)
	noSign := "ALIPAY-SHA256withRSA app_id=" + testAppID + ",nonce=n1,timestamp=" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	wantRaw(t, sendRaw(t, b, "POST", path, body, map[string]string{"Authorization": noSign}), 401, "missing-signature", false)
	noNonce := "ALIPAY-SHA256withRSA app_id=" + testAppID + ",timestamp=1,sign=AAAA"
	wantRaw(t, sendRaw(t, b, "POST", path, body, map[string]string{"Authorization": noNonce}), 400, "invalid-parameter", false)
	badTS := "ALIPAY-SHA256withRSA app_id=" + testAppID + ",nonce=n,timestamp=2026-05-01 10:00:00,sign=AAAA"
	wantRaw(t, sendRaw(t, b, "POST", path, body, map[string]string{"Authorization": badTS}), 400, "invalid-timestamp", false)
	sign := func(method, b string) map[string]string {
		return map[string]string{"Authorization": signedAuth(testAppKey, method, path, b, ""), "Content-Type": jsonCT}
	}
	wantRaw(t, sendRaw(t, b, "PUT", path, body, sign("PUT", body)), 400, "invalid-method", false)
	h := sign("POST", body)
	h["Content-Type"] = "text/plain"
	wantRaw(t, sendRaw(t, b, "POST", path, body, h), 400, "invalid-parameter", true)
	wantRaw(t, sendRaw(t, b, "POST", path, `[1]`, sign("POST", `[1]`)), 400, "invalid-parameter", true)
	wantRaw(t, sendRaw(t, b, "POST", path, `{"a":1} {}`, sign("POST", `{"a":1} {}`)), 400, "invalid-parameter", true)
	wantRaw(t, sendRaw(t, b, "GET", path, body, sign("GET", body)), 400, "invalid-parameter", true)
	h = sign("POST", body)
	h["alipay-encrypt-type"] = "AES"
	wantRaw(t, sendRaw(t, b, "POST", path, body, h), 400, "invalid-encrypt", false)
	// a query string is part of the string to sign: dropping it from the signature fails
	h = sign("POST", body)
	wantRaw(t, sendRaw(t, b, "POST", path+"?org_pid=1", body, h), 401, "invalid-signature", false)
	h = map[string]string{"Authorization": signedAuth(testAppKey, "POST", path+"?out_trade_no=X2", body, ""), "Content-Type": jsonCT}
	wantRaw(t, sendRaw(t, b, "POST", path+"?out_trade_no=X2", body, h), 400, "invalid-parameter", true) // X1 vs X2
	h = map[string]string{"Authorization": signedAuth(testAppKey, "POST", path, "", ""), "Content-Type": jsonCT}
	wantRaw(t, sendRaw(t, b, "POST", path, "", h), 400, "ACQ.INVALID_PARAMETER", true) // Java's null model: empty body
}

// TestV3SignedPath: what each SDK puts in the path line, and that the simulator accepts it.
func TestV3SignedPath(t *testing.T) {
	b, cs := v3Setup(t, Config{})
	wantOK(t, cs[styleNode].call(t, precreateV3("Q1", "1.00", "s", "")))
	if _, err := b.sb.Pay(testAppID, "Q1", ""); err != nil {
		t.Fatal(err)
	}
	get := v3Req{method: http.MethodGet, path: "/v3/alipay/trade/query",
		query: [][2]string{{"out_trade_no", "Q1"}, {"org_pid", "2088 a~b*c+d/中"}}}
	for st, wantLine := range map[sdkStyle]string{
		styleNode: "\nGET\n/sandbox/v3/alipay/trade/query?out_trade_no=Q1&org_pid=2088+a%7Eb*c%2Bd%2F%E4%B8%AD\n\n",
		styleJava: "\nGET\n/v3/alipay/trade/query?out_trade_no=Q1&org_pid=2088%20a%7Eb*c%2Bd%2F%E4%B8%AD\n\n",
	} {
		if _, content := cs[st].build(t, get); !strings.HasSuffix(content, wantLine) {
			t.Fatalf("%s signs %q", st, content)
		}
		if d := wantOK(t, cs[st].call(t, get)); d["trade_status"] != "TRADE_SUCCESS" {
			t.Fatalf("%s GET with query: %v", st, d)
		}
	}
	if _, content := cs[styleNode].build(t, post("/v3/alipay/trade/query", kv{"out_trade_no", "Q1"})); !strings.Contains(content,
		"\nPOST\n/v3/alipay/trade/query\n{\"out_trade_no\":\"Q1\"}\n") {
		t.Fatalf("node without a query signs the path argument alone: %q", content)
	}
}

func TestV3AppAuthToken(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			req := precreateV3("T1", "1.00", "s", "")
			req.token = "202605BB0123456789abcdef"
			wantOK(t, cs[st].call(t, req))
			const path = "/v3/alipay/trade/query"
			body := `{"out_trade_no":"T1"}`
			unsigned := map[string]string{"Authorization": signedAuth(testAppKey, "POST", path, body, ""),
				"Content-Type": "application/json", "alipay-app-auth-token": req.token}
			wantRaw(t, sendRaw(t, b, "POST", path, body, unsigned), 401, "invalid-signature", false)
			noHeader := map[string]string{"Authorization": signedAuth(testAppKey, "POST", path, body, req.token),
				"Content-Type": "application/json"}
			wantRaw(t, sendRaw(t, b, "POST", path, body, noHeader), 401, "invalid-signature", false)
		})
	}
}

func TestV3StrictTimestamp(t *testing.T) {
	b, cs := v3Setup(t, Config{StrictTimestamp: true})
	c := cs[styleJava]
	c.now = b.clock.Now
	wantOK(t, c.call(t, precreateV3("ST1", "1.00", "s", "")))
	for _, off := range []time.Duration{11 * time.Minute, -11 * time.Minute} {
		c.now = func() time.Time { return b.clock.Now().Add(off) }
		wantErr(t, styleJava, c.call(t, precreateV3("ST2", "1.00", "s", "")), 400, "invalid-timestamp", false)
	}
}

func TestV3Faults(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			b.sb.SetFaults(Faults{Seed: 7, GatewaySystemError: 1, Methods: []string{"alipay.trade.precreate"}})
			res := cs[st].call(t, precreateV3("FT1", "1.00", "s", ""))
			if res.code != "unknow-error" && res.code != "ACQ.SYSTEM_ERROR" {
				t.Fatalf("system error: %d %s", res.status, res.raw)
			}
			wantErr(t, st, res, 500, res.code, true)
			if _, ok := b.sb.Trade(testAppID, "FT1"); ok {
				t.Fatal("a system error must not carry the call out")
			}
			wantErr(t, st, cs[st].call(t, post("/v3/alipay/trade/query", kv{"out_trade_no", "FT1"})), 400, "ACQ.TRADE_NOT_EXIST", true)
			b.sb.SetFaults(Faults{Seed: 7, GatewayTimeout: 1})
			c := *cs[st]
			req, _ := c.build(t, precreateV3("FT2", "1.00", "s", ""))
			if _, err := (&http.Client{Timeout: 300 * time.Millisecond}).Do(req); err == nil {
				t.Fatal("want no answer")
			}
			if _, ok := b.sb.Trade(testAppID, "FT2"); !ok {
				t.Fatal("a timed-out call is carried out")
			}
		})
	}
}

func TestV3Units(t *testing.T) {
	for path, want := range map[string]string{
		"/sandbox/v3/alipay/trade/fastpay/refund/query": "alipay.trade.fastpay.refund.query",
		"/sandbox/v3/alipay/trade/pay":                  "alipay.trade.pay",
		"/sandbox/v3/alipay/trade//pay":                 "",
		"/sandbox/v3/alipay/trade/pay/":                 "",
		"/sandbox/v3/alipay/trade.pay":                  "",
		"/sandbox/v3/stream/alipay/x":                   "",
		"/sandbox/v3/alipay/Trade/pay":                  "",
	} {
		if got := v3MethodName(path); got != want {
			t.Errorf("v3MethodName(%q) = %q, want %q", path, got, want)
		}
	}
	for _, c := range []struct{ code, sub, wantCode string }{
		{"40004", "ACQ.TRADE_NOT_EXIST", "ACQ.TRADE_NOT_EXIST"}, {"40002", "isv.invalid-signature", "invalid-signature"},
		{"20000", "isp.unknow-error", "unknow-error"}, {"40005", "isv.app-call-limited", "app-call-limited"},
		{"40006", "isv.insufficient-isv-permissions", "insufficient-isv-permissions"}, {"20001", "aop.invalid-app-auth-token", "invalid-app-auth-token"},
	} {
		e := v3ErrorOf(c.code, c.sub, "m")
		want := map[string]int{"40004": 400, "40002": 401, "20000": 500, "40005": 429, "40006": 403, "20001": 401}[c.code]
		if e.code != c.wantCode || e.status != want || e.message != "m" {
			t.Errorf("v3ErrorOf(%s, %s) = %+v", c.code, c.sub, e)
		}
	}
	if e := v3ErrorOf("40004", "ACQ.SYSTEM_ERROR", "m"); e.status != 500 {
		t.Errorf("ACQ.SYSTEM_ERROR status %d", e.status)
	}
	a, err := parseV3Auth("ALIPAY-SHA256withRSA app_id=1,nonce=a=b,timestamp=2,sign=x,y==")
	if err != nil || a.sign != "x,y==" || a.fields["nonce"] != "a=b" || a.authString != "app_id=1,nonce=a=b,timestamp=2" {
		t.Errorf("parseV3Auth: %+v %v", a, err)
	}
	for _, bad := range []string{"ALIPAY-SHA256withRSA app_id=1,,sign=x", "ALIPAY-SHA256withRSA app_id=1,app_id=2,sign=x",
		"ALIPAY-SM2 app_id=1,sign=x", "alipay-sha256withrsa app_id=1,sign=x"} {
		if _, err := parseV3Auth(bad); err == nil {
			t.Errorf("parseV3Auth(%q) accepted", bad)
		}
	}
}
