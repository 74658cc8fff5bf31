package sandbox

// Raw OpenAPI v3 clients that build requests byte for byte as the official SDKs do and
// check answers as they check them, so the v3 tests exercise what those SDKs send:
//   - Node alipay-sdk 4.x curl(): lower-case header names; JSON.stringify body (no HTML
//     escaping), "" without one; query set on a URL object, so the signed path is the
//     endpoint's pathname (with /sandbox) plus "?"+URLSearchParams (space as "+"), and
//     without a query it is the path argument alone; answers >= 400 are thrown without
//     verification; 2xx are verified, alipay-sn compared to the configured SN first.
//   - Java alipay-sdk-java-v3 ApiClient: "Authorization"/"Content-Type" spellings, OkHttp's
//     "application/json; charset=utf-8"; Gson bodies (fields in model order, nulls left
//     out, <>&=' escaped as \u00XX); the signed path never includes the endpoint's path;
//     query values URL-encoded with space as %20; a 2xx with a body must verify (in
//     certificate mode with the cached key of the answer's alipay-sn); a 4xx/5xx is
//     verified only when it carries alipay-signature.

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

type sdkStyle string

const (
	styleNode sdkStyle = "node"
	styleJava sdkStyle = "java"
)

var styles = []sdkStyle{styleNode, styleJava}

// kv is one body field; bodies keep their field order as the SDKs serialise them.
type kv struct {
	k string
	v any // string, json.Number, bool, []kv, []any
}

// v3Req is one call: HTTP method, path under the endpoint, ordered query, body (nil = none).
type v3Req struct {
	method, path string
	query        [][2]string
	body         []kv
	token        string // alipay-app-auth-token
}

// v3Client is configured as a merchant configures the SDK.
type v3Client struct {
	style        sdkStyle
	endpoint     string // the SDK's endpoint / serverUrl: base + "/sandbox"
	appID        string
	key          *rsa.PrivateKey
	appCertSN    string // certificate mode
	rootCertSN   string
	alipayPub    *rsa.PublicKey            // Node: alipayPublicKey (from the Alipay cert in certificate mode); Java key mode
	alipayCertSN string                    // Node certificate mode: the configured Alipay certificate's SN
	javaCerts    map[string]*rsa.PublicKey // Java certificate mode: cachedAlipayPublicKey by SN
	extraAuth    string                    // Node additionalAuthInfo, e.g. "expired_seconds=120"
	now          func() time.Time
}

// v3Result is what the SDK hands the caller: data on success, or the error it raises.
type v3Result struct {
	status    int
	data      map[string]any
	code, msg string // the {"code","message"} of an HTTP error the SDK raised
	sdkErr    string // a failure raised by the SDK itself (verification, SN)
	verified  bool   // the SDK verified alipay-signature on this answer
	header    http.Header
	raw       []byte
}

func (c *v3Client) authString() string {
	s := "app_id=" + c.appID
	if c.appCertSN != "" {
		s += ",app_cert_sn=" + c.appCertSN
	}
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	s += ",nonce=" + uuid4() + ",timestamp=" + strconv.FormatInt(now().UnixMilli(), 10)
	if c.extraAuth != "" {
		s += "," + c.extraAuth
	}
	return s
}

// build returns the HTTP request and the string the SDK signed.
func (c *v3Client) build(t *testing.T, r v3Req) (*http.Request, string) {
	t.Helper()
	target, signed := c.endpoint+r.path, r.path
	if len(r.query) > 0 {
		if c.style == styleNode {
			u, err := url.Parse(c.endpoint + r.path)
			if err != nil {
				t.Fatal(err)
			}
			qs := formEncode(r.query, "+")
			target, signed = c.endpoint+r.path+"?"+qs, u.Path+"?"+qs
		} else {
			qs := formEncode(r.query, "%20")
			target, signed = c.endpoint+r.path+"?"+qs, r.path+"?"+qs
		}
	}
	body := ""
	if r.body != nil {
		body = string(encodeBody(r.body, c.style == styleJava))
	}
	auth := c.authString()
	content := auth + "\n" + r.method + "\n" + signed + "\n" + body + "\n"
	if r.token != "" {
		content += r.token + "\n"
	}
	var rd io.Reader
	if r.method != http.MethodGet {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(r.method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	node := c.style == styleNode
	set := func(k, v string) { req.Header[k] = []string{v} } // spelt as the SDK spells it, not canonicalised
	const javaUA = "OpenAPI-Generator/3.1.89.ALL/java"
	if node {
		set("user-agent", "alipay-sdk-nodejs-4.0.0")
		set("alipay-request-id", strings.ReplaceAll(uuid4(), "-", ""))
		set("accept", "application/json")
	} else {
		set("Accept", "application/json")
		set("Accept-Encoding", "gzip")
		set("alipay-request-id", uuid4())
		set("User-Agent", javaUA)
		set("alipay-sdk-version", javaUA)
	}
	if r.method != http.MethodGet && node {
		set("content-type", "application/json")
	} else if r.method != http.MethodGet {
		set("Content-Type", "application/json; charset=utf-8") // OkHttp adds the charset
	}
	if c.rootCertSN != "" {
		set("alipay-root-cert-sn", c.rootCertSN)
	}
	if r.token != "" {
		set("alipay-app-auth-token", r.token)
	}
	authName := "Authorization"
	if node {
		authName = "authorization"
	}
	set(authName, "ALIPAY-SHA256withRSA "+auth+",sign="+signWith(c.key, content))
	return req, content
}

// call sends r and handles the answer as the SDK does.
func (c *v3Client) call(t *testing.T, r v3Req) v3Result {
	t.Helper()
	req, _ := c.build(t, r)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := v3Result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if c.style == styleNode {
		c.nodeAnswer(t, &res)
	} else {
		c.javaAnswer(t, &res)
	}
	return res
}

func (c *v3Client) nodeAnswer(t *testing.T, res *v3Result) {
	t.Helper()
	if res.status >= 400 {
		res.decodeError(t)
		return
	}
	h := res.header
	if sn := h.Get("alipay-sn"); sn != "" && c.alipayCertSN != "" && sn != c.alipayCertSN {
		res.sdkErr = "response-alipay-sn-verify-error"
		return
	}
	if !verifyV3Answer(c.alipayPub, headerOr(h, "alipay-timestamp", "undefined"), headerOr(h, "alipay-nonce", "undefined"),
		res.raw, h.Get("alipay-signature")) {
		res.sdkErr = "response-signature-verify-error"
		return
	}
	res.verified = true
	if err := json.Unmarshal(res.raw, &res.data); err != nil {
		t.Fatalf("JSON.parse: %v: %s", err, res.raw)
	}
}

func (c *v3Client) javaAnswer(t *testing.T, res *v3Result) {
	t.Helper()
	h := res.header
	sig := h.Get("alipay-signature")
	if res.status < 200 || res.status > 299 {
		if sig != "" && sig != "null" && !c.javaVerify(res) {
			return
		}
		res.decodeError(t)
		return
	}
	if len(res.raw) == 0 {
		return // the SDK returns null without verifying
	}
	if !c.javaVerify(res) {
		return
	}
	if ct, _, _ := mime.ParseMediaType(h.Get("Content-Type")); ct != "application/json" && ct != "text/plain" {
		res.sdkErr = "Content type \"" + h.Get("Content-Type") + "\" is not supported"
		return
	}
	if err := json.Unmarshal(res.raw, &res.data); err != nil {
		t.Fatalf("Gson: %v: %s", err, res.raw)
	}
}

// javaVerify is AlipayConfigUtil.verify: the key is the configured one in public-key mode,
// in certificate mode the cached key of alipay-sn (the first cached one when it is empty).
func (c *v3Client) javaVerify(res *v3Result) bool {
	h := res.header
	pub := c.alipayPub
	if c.appCertSN != "" {
		sn := h.Get("alipay-sn")
		pub = c.javaCerts[sn]
		if sn == "" {
			for _, k := range c.javaCerts {
				pub = k
			}
		}
		if pub == nil {
			res.sdkErr = "支付宝公钥证书[" + sn + "]已过期，请重新下载最新支付宝公钥证书并替换原证书文件"
			return false
		}
	}
	if !verifyV3Answer(pub, headerOr(h, "alipay-timestamp", "null"), headerOr(h, "alipay-nonce", "null"),
		res.raw, h.Get("alipay-signature")) {
		res.sdkErr = "sign check fail: check Sign and Data Fail!"
		return false
	}
	res.verified = true
	return true
}

func (res *v3Result) decodeError(t *testing.T) {
	t.Helper()
	var e struct{ Code, Message string }
	if err := json.Unmarshal(res.raw, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, res.raw)
	}
	res.code, res.msg = e.Code, e.Message
}

func headerOr(h http.Header, k, missing string) string {
	if _, ok := h[http.CanonicalHeaderKey(k)]; !ok {
		return missing
	}
	return h.Get(k)
}
