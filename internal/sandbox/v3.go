package sandbox

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// OpenAPI v3 (docs/sandbox.md): /sandbox/v3/alipay/trade/query is the method
// alipay.trade.query of the v2 gateway, served by the same handlers over the same trades,
// with a JSON body instead of biz_content, the authorization header instead of sign, and
// HTTP statuses instead of code/sub_code.

const v3Prefix = "/sandbox/v3/"

// v3TimestampWindow is how far a request's timestamp may be from the simulator's clock
// with Config.StrictTimestamp: Alipay refuses v3 requests more than 10 minutes off.
const v3TimestampWindow = 10 * time.Minute

// v3Call is one OpenAPI v3 request as received.
type v3Call struct {
	method     string // the OpenAPI method its path names; "" when the path names none
	httpMethod string
	body       []byte
	auth       v3Auth
	token      string // alipay-app-auth-token
	rootSN     string // alipay-root-cert-sn (certificate mode)
}

// handleV3 serves every /sandbox/v3/… route. Refusals before the caller is authenticated
// are unsigned (Alipay's are); everything after is signed like a success.
func (s *Sandbox) handleV3(w http.ResponseWriter, r *http.Request) {
	c, verr := readV3Call(w, r)
	var req *gwRequest
	if verr == nil {
		req, verr = s.authenticateV3(r, c)
	}
	if verr != nil {
		s.log.Info("sandbox: v3 refused", slog.String("method", c.method), slog.String("code", verr.code))
		s.writeV3(w, verr.status, v3ErrorBody(verr), v3Signed{})
		return
	}
	sig := v3Signed{key: s.signingKey(req.certSN), certSN: req.certSN}
	if e := parseV3Biz(r, c, req); e != nil {
		s.writeV3(w, e.status, v3ErrorBody(e), sig)
		return
	}
	req.base = s.baseURL(r)
	n, fault := s.gatewayCall(r.Context(), req) // the same fault knobs as v2 (reject.go)
	if req.unsigned {
		sig = v3Signed{} // a gateway-level refusal (gateway_reject, refund spacing) is unsigned
	}
	status, body := v3Answer(n)
	s.log.Debug("sandbox: v3 call", slog.String("method", req.method), slog.String("app_id", req.app.ID),
		slog.Int("status", status), slog.Int("fault", int(fault)))
	if fault == faultTimeout {
		s.hang(w, r)
		return
	}
	s.writeV3(w, status, body, sig)
}

// v3MethodName maps a path to its OpenAPI method: /sandbox/v3/alipay/trade/fastpay/refund/query
// is alipay.trade.fastpay.refund.query. It returns "" for a path naming no method.
func v3MethodName(path string) string {
	rest, ok := strings.CutPrefix(path, v3Prefix)
	if !ok || !strings.HasPrefix(rest, "alipay/") || strings.Contains(rest, ".") {
		return ""
	}
	m := strings.ReplaceAll(rest, "/", ".")
	if !methodNamePattern.MatchString(m) || strings.Contains(m, "..") || strings.HasSuffix(m, ".") {
		return ""
	}
	return m
}

func readV3Call(w http.ResponseWriter, r *http.Request) (*v3Call, *v3Error) {
	c := &v3Call{method: v3MethodName(r.URL.Path), httpMethod: r.Method,
		token: r.Header.Get("alipay-app-auth-token"), rootSN: r.Header.Get("alipay-root-cert-sn")}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGatewayBody))
	if err != nil {
		return c, gatewayErr(http.StatusBadRequest, "invalid-parameter", "请求体过大或无法读取")
	}
	c.body = body
	a, verr := parseV3Auth(r.Header.Get("Authorization"))
	c.auth = a
	return c, verr
}

// authenticateV3 runs the gateway's checks in Alipay's order (timestamp and app_id before
// the method, the app before the signature) and returns the call as the method handlers
// take it.
func (s *Sandbox) authenticateV3(r *http.Request, c *v3Call) (*gwRequest, *v3Error) {
	f := c.auth.fields
	bad := func(code, msg string) *v3Error { return gatewayErr(http.StatusBadRequest, code, msg) }
	ts, tsOK := v3Timestamp(f["timestamp"])
	switch {
	case f["timestamp"] == "":
		return nil, bad("missing-timestamp", "缺少时间戳参数")
	case f["app_id"] == "":
		return nil, bad("missing-app-id", "缺少AppId参数")
	case !tsOK:
		return nil, bad("invalid-timestamp", "非法的时间戳参数，应为Unix毫秒时间戳")
	}
	a := s.appCopy(f["app_id"])
	now := s.now()
	switch {
	case a == nil:
		return nil, bad("invalid-app-id", "无效的AppID参数")
	case c.method == "" || lookupMethod(c.method) == nil:
		return nil, bad("invalid-method", "不存在的方法名")
	case c.httpMethod != http.MethodGet && c.httpMethod != http.MethodPost:
		return nil, bad("invalid-method", "仅支持GET和POST请求")
	case f["nonce"] == "":
		return nil, bad("invalid-parameter", "authorization缺少nonce")
	case f["expired_seconds"] != "" && (!digits(f["expired_seconds"]) || len(f["expired_seconds"]) > 9):
		return nil, bad("invalid-parameter", "authorization的expired_seconds应为正整数")
	case c.auth.sign == "":
		return nil, gatewayErr(http.StatusUnauthorized, "missing-signature", "缺少签名参数")
	case s.cfg.StrictTimestamp && (now.Sub(ts) > v3TimestampWindow || ts.Sub(now) > v3TimestampWindow):
		return nil, bad("invalid-timestamp", "时间戳与网关时间相差超过10分钟")
	}
	if e := verifyV3(r, c, a.pub); e != nil {
		return nil, e
	}
	req := &gwRequest{method: c.method, app: a, hash: crypto.SHA256, now: now, params: map[string]string{
		"method": c.method, "app_id": a.ID, "sign_type": "RSA2", "version": "1.0",
		"app_cert_sn": f["app_cert_sn"], "alipay_root_cert_sn": c.rootSN}}
	if e := s.checkCertParams(req); e != nil {
		return nil, v3ErrorOf(e.text("code"), e.text("sub_code"), e.text("sub_msg"))
	}
	if r.Header.Get("alipay-encrypt-type") != "" {
		return nil, bad("invalid-encrypt", "沙箱不支持接口内容加密")
	}
	if f["app_cert_sn"] != "" {
		req.certSN = s.alipayCertSN()
	}
	return req, nil
}

// appCopy returns a snapshot of a registered app (RegisterApp may re-key it concurrently).
func (s *Sandbox) appCopy(id string) *app {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[id]; a != nil {
		cp := *a
		return &cp
	}
	return nil
}

// verifyV3 checks the signature over every request target the caller may have signed
// (v3SignedURIs). The refusal quotes the string the gateway expected, as Alipay's does.
func verifyV3(r *http.Request, c *v3Call, pub *rsa.PublicKey) *v3Error {
	var expected string
	for i, uri := range v3SignedURIs(r) {
		content := v3SignContent(c.auth.authString, c.httpMethod, uri, string(c.body), c.token)
		if i == 0 {
			expected = content
		}
		if rsaVerify(pub, hashSHA256, []byte(content), c.auth.sign) {
			return nil
		}
	}
	return gatewayErr(http.StatusUnauthorized, "invalid-signature",
		"验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："+expected)
}

// parseV3Biz reads the business parameters: the query string, plus for POST the JSON
// object in the body. A key sent in both with different values is refused.
func parseV3Biz(r *http.Request, c *v3Call, req *gwRequest) *v3Error {
	bad := func(msg string) *v3Error { return gatewayErr(http.StatusBadRequest, "invalid-parameter", msg) }
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return bad("无法解析URL参数")
	}
	req.biz = map[string]any{}
	if len(c.body) > 0 {
		if c.httpMethod == http.MethodGet {
			return bad("GET请求不能带请求体")
		}
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
			return bad("Content-Type应为application/json")
		}
		dec := json.NewDecoder(bytes.NewReader(c.body))
		dec.UseNumber()
		if !utf8.Valid(c.body) || dec.Decode(&req.biz) != nil || req.biz == nil || dec.More() {
			return bad("请求体不是合法的JSON对象")
		}
	}
	for k, vs := range q {
		for _, v := range vs {
			if old, ok := req.biz[k]; ok && old != any(v) {
				return bad("参数重复且取值不一致: " + k)
			}
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return bad("参数包含非法的UTF-8字符")
			}
			req.biz[k] = v
		}
	}
	if u, ok := req.biz["notify_url"].(string); ok {
		req.params["notify_url"] = u
	}
	return nil
}

// v3Answer turns a method's answer node into the v3 status and body: 10000 (and 10003,
// "paying, ask again") are 200 with the business fields alone; the rest are errors.
func v3Answer(n node) (int, []byte) {
	code := n.text("code")
	if code != "10000" && code != "10003" {
		e := v3ErrorOf(code, n.text("sub_code"), n.text("sub_msg"))
		return e.status, v3ErrorBody(e)
	}
	out := node{}
	for _, f := range n {
		switch f.k {
		case "code", "msg", "sub_code", "sub_msg":
			continue
		}
		out = append(out, f)
	}
	return http.StatusOK, out.bytes()
}

// v3ErrorOf maps a v2 error to v3 (docs/sandbox.md has the table): business errors keep
// their ACQ.* sub_code as the code; gateway errors drop the isv./isp./aop. prefix (the v3
// common error codes are spelt so). Statuses: 401 signature and token failures, 403
// permissions, 429 call limits, 500 system errors, 400 everything else.
func v3ErrorOf(code, subCode, subMsg string) *v3Error {
	if code == "40004" {
		if subCode == "ACQ.SYSTEM_ERROR" {
			return gatewayErr(http.StatusInternalServerError, subCode, subMsg)
		}
		return gatewayErr(http.StatusBadRequest, subCode, subMsg)
	}
	c := subCode
	for _, p := range []string{"isv.", "isp.", "aop."} {
		c = strings.TrimPrefix(c, p)
	}
	status := map[string]int{"20000": http.StatusInternalServerError, "20001": http.StatusUnauthorized,
		"40005": http.StatusTooManyRequests, "40006": http.StatusForbidden}[code]
	if c == "invalid-signature" || c == "missing-signature" {
		status = http.StatusUnauthorized
	}
	if status == 0 {
		status = http.StatusBadRequest
	}
	return gatewayErr(status, c, subMsg)
}

// v3ErrorBody is {"code":…,"message":…}. Alipay adds "links" to a troubleshooting page;
// the simulator has none to point to, and both SDKs treat the field as optional.
func v3ErrorBody(e *v3Error) []byte {
	return node{{"code", e.code}, {"message", e.message}}.bytes()
}

// text returns a field of a node as a string ("" when absent or not a string).
func (n node) text(k string) string {
	for _, f := range n {
		if f.k == k {
			s, _ := f.v.(string)
			return s
		}
	}
	return ""
}
