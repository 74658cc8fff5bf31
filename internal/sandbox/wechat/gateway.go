package wechat

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// maxRequestBody bounds an APIv3 request body.
const maxRequestBody = 64 << 10

// answer is an APIv3 handler's reply: a body (nil: 204-style, none) or an error code.
type answer struct {
	status  int
	body    any
	code    string
	message string
}

func ok(v any) answer { return answer{status: http.StatusOK, body: v} }

func fail(status int, code, msg string) answer {
	return answer{status: status, code: code, message: msg}
}

type v3Handler func(m *merchant, r *http.Request, body []byte) answer

// v3 wraps an APIv3 handler: bounded body, request authentication (401 SIGN_ERROR, unsigned,
// on failure), the JSON content type, the gateway faults, and a signed answer.
func (s *Sandbox) v3(op string, h v3Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if err != nil {
			writeWeChatError(w, http.StatusBadRequest, "INVALID_REQUEST", "请求体超过64KB或无法读取")
			return
		}
		m, why := s.authenticate(r, body)
		if m == nil {
			s.log.Info("wechat sandbox: request refused", slog.String("op", op), slog.String("reason", why))
			writeWeChatError(w, http.StatusUnauthorized, "SIGN_ERROR", why)
			return
		}
		if r.Method == http.MethodPost {
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				s.writeAnswer(w, fail(http.StatusBadRequest, "INVALID_REQUEST", "Content-Type须为application/json"))
				return
			}
		}
		fault := s.gatewayFault(r.Context(), op)
		switch fault {
		case faultReject:
			status, code := s.faults.reject()
			s.writeAnswer(w, fail(status, code, "沙箱模拟的拒绝: "+code))
			return
		case faultSystemError:
			s.writeAnswer(w, fail(http.StatusInternalServerError, "SYSTEM_ERROR", "系统繁忙，请稍后重试"))
			return
		case faultBadGateway:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
			return
		}
		a := h(m, r, body)
		s.log.Info("wechat sandbox: call", slog.String("op", op), slog.String("mchid", m.MchID),
			slog.Int("status", a.status), slog.String("code", a.code))
		switch fault {
		case faultAppliedSystemError:
			a = fail(http.StatusInternalServerError, "SYSTEM_ERROR", "系统繁忙，请稍后重试")
		case faultTimeout:
			s.hang(w, r)
			return
		}
		s.writeAnswer(w, a)
	}
}

// authenticate checks the Authorization header of an APIv3 request: its form, a registered
// mchid, that merchant's certificate serial, a timestamp within 5 minutes, and the signature
// over METHOD\nURL\ntimestamp\nnonce\nbody\n with URL exactly as sent on the request line, or
// that URL without the /sandbox/wechat prefix.
// It returns the merchant, or nil and why (WeChat Pay's message style).
func (s *Sandbox) authenticate(r *http.Request, body []byte) (*merchant, string) {
	a, err := wechatpay.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, "Authorization头格式错误: " + err.Error()
	}
	s.mu.Lock()
	m := s.merchants[a.MchID]
	s.mu.Unlock()
	switch {
	case m == nil:
		return nil, "商户号" + a.MchID + "未在沙箱注册"
	case !strings.EqualFold(a.SerialNo, m.SerialNo):
		return nil, "商户证书序列号" + a.SerialNo + "与商户号不匹配"
	}
	ts, _ := strconv.ParseInt(a.Timestamp, 10, 64)
	if d := s.now().Sub(time.Unix(ts, 0)); d > wechatpay.MaxClockSkew || d < -wechatpay.MaxClockSkew {
		return nil, "请求时间戳与当前时间相差超过5分钟"
	}
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	verify := func(u string) bool {
		msg := wechatpay.RequestMessage(r.Method, u, a.Timestamp, a.NonceStr, body)
		return wechatpay.VerifySignature(m.pub, msg, a.Signature) == nil
	}
	// The official SDKs hard-code WeChat Pay's host and sign /v3/…; pointed here through a
	// transport that adds /sandbox/wechat after signing, they sign the path without it.
	if rest, cut := strings.CutPrefix(uri, mountPrefix); !verify(uri) && !(cut && strings.HasPrefix(rest, "/v3/") && verify(rest)) {
		return nil, "错误的签名，验签失败"
	}
	return m, ""
}

// mountPrefix is where the simulator is mounted; a signed path may leave it out.
const mountPrefix = "/sandbox/wechat"

// writeAnswer sends a signed answer: Wechatpay-Timestamp, -Nonce, -Signature, -Serial (the
// platform key's PUB_KEY_ID_…) and -Signature-Type over "timestamp\nnonce\nbody\n".
func (s *Sandbox) writeAnswer(w http.ResponseWriter, a answer) {
	var b []byte
	switch {
	case a.code != "":
		b, _ = json.Marshal(map[string]string{"code": a.code, "message": a.message})
	case a.body != nil:
		b, _ = json.Marshal(a.body)
	}
	s.signHeaders(w.Header(), b, false)
	if len(b) > 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(b)
}

// signHeaders sets WeChat Pay's signature headers for body on h; corrupt flips one bit of
// the signature (the notify_bad_sign fault).
func (s *Sandbox) signHeaders(h http.Header, body []byte, corrupt bool) {
	ts, nonce := strconv.FormatInt(s.now().Unix(), 10), randomHex(16)
	sig, _ := wechatpay.Sign(s.key, wechatpay.ResponseMessage(ts, nonce, body))
	if corrupt {
		sig = corruptSign(sig)
	}
	h.Set("Request-ID", strings.ToUpper(randomHex(20))+"-0")
	h.Set(wechatpay.HeaderNonce, nonce)
	h.Set(wechatpay.HeaderSignature, sig)
	h.Set(wechatpay.HeaderTimestamp, ts)
	h.Set(wechatpay.HeaderSerial, s.keyID)
	h.Set(wechatpay.HeaderSignatureType, wechatpay.AuthScheme)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// fmtTime writes t as APIv3 does: RFC 3339 in Beijing time.
func fmtTime(t time.Time) string { return t.In(beijing).Format(time.RFC3339) }

var beijing = time.FixedZone("CST", 8*60*60)
