package sandbox

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
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

func TestParseV3Auth(t *testing.T) {
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

func TestV3Mapping(t *testing.T) {
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
}

func verifyV3Answer(pub *rsa.PublicKey, ts, nonce string, body []byte, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || sig == "" || pub == nil {
		return false
	}
	d := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + string(body) + "\n"))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], raw) == nil
}

func signWith(k *rsa.PrivateKey, content string) string {
	d := sha256.Sum256([]byte(content))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// formEncode percent-encodes as URLSearchParams (space "+") and Java's URLEncoder with
// "+" replaced by "%20" do: only A-Za-z0-9 and *-._ stay as they are.
func formEncode(pairs [][2]string, space string) string {
	enc := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			switch {
			case c == ' ':
				b.WriteString(space)
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("*-._", c) >= 0:
				b.WriteByte(c)
			default:
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		return b.String()
	}
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = enc(p[0]) + "=" + enc(p[1])
	}
	return strings.Join(parts, "&")
}

// encodeBody serialises fields in order, compactly; gson escapes <>&=' as Gson does by default.
func encodeBody(fields []kv, gson bool) []byte {
	var b bytes.Buffer
	var val func(v any)
	val = func(v any) {
		switch x := v.(type) {
		case []kv:
			b.WriteByte('{')
			for i, f := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				val(f.k)
				b.WriteByte(':')
				val(f.v)
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				val(e)
			}
			b.WriteByte(']')
		default:
			s := string(marshalCompact(x))
			if gson {
				s = strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "=", `\u003d`, "'", `\u0027`).Replace(s)
			}
			b.WriteString(s)
		}
	}
	val(fields)
	return b.Bytes()
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
