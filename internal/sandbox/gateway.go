package sandbox

import (
	"bytes"
	"crypto"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

const maxGatewayBody = 1 << 20

// gwRequest is one authenticated gateway call.
type gwRequest struct {
	params map[string]string
	method string
	app    *app
	biz    map[string]any
	hash   crypto.Hash
	certSN string // alipay_cert_sn for the response; "" in public-key mode
	base   string // absolute base URL for QR texts
	now    time.Time
	// unsigned is set by a handler whose answer is a gateway-level refusal, which the
	// real gateway sends without a signature (see reject.go).
	unsigned bool
}

var methodNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,127}$`)

// lookupMethod returns the handler of an OpenAPI method, or nil.
func lookupMethod(name string) func(*Sandbox, *gwRequest) node {
	switch name {
	case "alipay.trade.precreate":
		return (*Sandbox).precreate
	case "alipay.trade.query":
		return (*Sandbox).query
	case "alipay.trade.close":
		return (*Sandbox).closeTrade
	case "alipay.trade.cancel":
		return (*Sandbox).cancel
	case "alipay.trade.refund":
		return (*Sandbox).refund
	case "alipay.trade.fastpay.refund.query":
		return (*Sandbox).refundQuery
	case "alipay.open.app.alipaycert.download":
		return (*Sandbox).certDownload
	case "alipay.trade.pay":
		return (*Sandbox).tradePay
	case "alipay.data.dataservice.bill.downloadurl.query":
		return (*Sandbox).billURL
	}
	return nil
}

func responseName(method string) string {
	if !methodNamePattern.MatchString(method) {
		return "error_response"
	}
	return strings.ReplaceAll(method, ".", "_") + "_response"
}

func (s *Sandbox) handleGateway(w http.ResponseWriter, r *http.Request) {
	params, perr := readParams(w, r)
	method := params["method"]
	name := responseName(method)
	req := &gwRequest{params: params, method: method, hash: crypto.SHA256, now: s.now()}
	if h, ok := hashFor(params["sign_type"]); ok {
		req.hash = h
	}
	if params["app_cert_sn"] != "" {
		req.certSN = s.alipayCertSN()
	}
	if perr != "" {
		s.writeEnvelope(w, name, errNode("40002", "isv.invalid-parameter", perr), req.hash, req.certSN)
		return
	}
	if e := s.authenticate(req); e != nil {
		s.log.Info("sandbox: gateway refused", slog.String("method", method), slog.String("sub_code", e[2].v.(string)))
		s.writeEnvelope(w, name, e, req.hash, req.certSN)
		return
	}
	req.base = s.baseURL(r)
	n, fault := s.gatewayCall(r.Context(), req)
	s.log.Debug("sandbox: gateway call", slog.String("method", method), slog.String("app_id", req.app.ID),
		slog.Any("code", n[0].v), slog.Int("fault", int(fault)))
	switch {
	case fault == faultTimeout:
		s.hang(w, r)
	case req.unsigned:
		writeUnsigned(w, name, n)
	default:
		s.writeEnvelope(w, name, n, req.hash, req.certSN)
	}
}

// readParams merges query and body parameters. A key sent twice with the same value
// counts once (charset and format compare case-insensitively: gopay sends charset in the
// URL and the body); with different values the request is refused. Every parameter is read
// before a conflict is reported, so the error node can still be named after the method.
// It returns a sub_msg on error.
func readParams(w http.ResponseWriter, r *http.Request) (map[string]string, string) {
	out := map[string]string{}
	conflict := ""
	merge := func(vals url.Values) {
		for k, vs := range vals {
			for _, v := range vs {
				if old, ok := out[k]; ok && !sameParam(k, old, v) {
					if conflict == "" {
						conflict = "参数重复且取值不一致: " + k
					}
					continue
				}
				out[k] = v
			}
		}
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return out, "无法解析URL参数"
	}
	merge(q)
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return out, "仅支持GET和POST请求"
	}
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGatewayBody))
		if err != nil {
			return out, "请求体过大或无法读取"
		}
		ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var form url.Values
		if ct == "multipart/form-data" {
			r2 := r.Clone(r.Context())
			r2.Body = io.NopCloser(bytes.NewReader(body))
			r2.Header.Set("Content-Type", mime.FormatMediaType(ct, ctParams))
			if err := r2.ParseMultipartForm(maxGatewayBody); err != nil {
				return out, "无法解析multipart请求体"
			}
			form = url.Values(r2.MultipartForm.Value)
		} else if form, err = url.ParseQuery(string(body)); err != nil {
			return out, "无法解析请求体"
		}
		merge(form)
	}
	if conflict != "" {
		return out, conflict
	}
	for k, v := range out {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return out, "参数包含非法的UTF-8字符"
		}
	}
	return out, ""
}

// sameParam reports whether two values of one repeated parameter agree.
func sameParam(key, a, b string) bool {
	if key == "charset" || key == "format" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// authenticate runs the common-parameter checks in the gateway's order (app_id before
// the signature) and returns an error node, or nil when the call may proceed.
func (s *Sandbox) authenticate(req *gwRequest) node {
	p := req.params
	missing := func(sub, what string) node { return errNode("40001", sub, "缺少"+what+"参数") }
	invalid := func(sub, msg string) node { return errNode("40002", sub, msg) }
	switch {
	case p["method"] == "":
		return missing("isv.missing-method", "方法名")
	case p["app_id"] == "":
		return missing("isv.missing-app-id", "AppId")
	}
	s.mu.Lock()
	var a *app
	if found := s.apps[p["app_id"]]; found != nil {
		cp := *found // a snapshot: RegisterApp may re-key the app concurrently
		a = &cp
	}
	s.mu.Unlock()
	if a == nil {
		return invalid("isv.invalid-app-id", "无效的AppID参数")
	}
	req.app = a
	switch {
	case lookupMethod(p["method"]) == nil:
		return invalid("isv.invalid-method", "不存在的方法名")
	case p["version"] == "":
		return missing("isv.missing-version", "版本")
	case p["version"] != "1.0":
		return invalid("isv.invalid-version", "版本号无效")
	case p["sign_type"] == "":
		return missing("isv.missing-signature-type", "签名类型")
	case p["sign_type"] != "RSA2" && p["sign_type"] != "RSA":
		return invalid("isv.invalid-signature-type", "无效的签名类型")
	case p["sign"] == "":
		return missing("isv.missing-signature", "签名")
	case p["timestamp"] == "":
		return missing("isv.missing-timestamp", "时间戳")
	case p["charset"] == "":
		return missing("isv.missing-charset", "字符集")
	case !strings.EqualFold(p["charset"], "utf-8") && !strings.EqualFold(p["charset"], "utf8"):
		return invalid("isv.invalid-charset", "字符集错误，沙箱仅支持utf-8")
	case p["format"] != "" && !strings.EqualFold(p["format"], "json"):
		return invalid("isv.invalid-format", "参数format无效，仅支持JSON")
	case p["encrypt_type"] != "":
		return invalid("isv.invalid-encrypt", "沙箱不支持接口内容加密")
	}
	ts, err := time.ParseInLocation(alipayTimeLayout, p["timestamp"], shanghai)
	if err != nil {
		return invalid("isv.invalid-timestamp", "非法的时间戳参数，格式应为yyyy-MM-dd HH:mm:ss")
	}
	if s.cfg.StrictTimestamp {
		if d := req.now.Sub(ts); d > 15*time.Minute || d < -15*time.Minute {
			return invalid("isv.invalid-timestamp", "时间戳与网关时间(Asia/Shanghai)相差超过15分钟")
		}
	}
	content := signContent(p, "sign")
	if !rsaVerify(a.pub, req.hash, []byte(content), p["sign"]) {
		return invalid("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："+strings.ReplaceAll(content, "&", "&amp;"))
	}
	if e := s.checkCertParams(req); e != nil {
		return e
	}
	return req.parseBiz()
}

func (req *gwRequest) parseBiz() node {
	req.biz = map[string]any{}
	raw := req.params["biz_content"]
	if raw == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&req.biz); err != nil || req.biz == nil || dec.More() {
		return errNode("40002", "isv.invalid-parameter", "参数biz_content不是合法的JSON对象")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errNode("40002", "isv.invalid-parameter", "参数biz_content不是合法的JSON对象")
	}
	return nil
}

// str returns a biz field as a string: strings as is, numbers in their JSON text, an
// empty string as absent. ok is false for any other JSON type.
func (req *gwRequest) str(key string) (string, bool) {
	switch v := req.biz[key].(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

func (s *Sandbox) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
