package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// v3AuthScheme is the only algorithm OpenAPI v3 accepts for RSA keys (docs/sandbox.md).
const v3AuthScheme = "ALIPAY-SHA256withRSA"

// v3Auth is a parsed authorization header:
// "ALIPAY-SHA256withRSA app_id=…[,app_cert_sn=…],nonce=…,timestamp=…[,k=v…],sign=…".
type v3Auth struct {
	authString string            // everything between the scheme and ",sign=": signed verbatim
	fields     map[string]string // its key=value pairs; keys beyond the known ones are allowed (the Node SDK's additionalAuthInfo)
	sign       string
}

// v3Error is an answer of the v3 protocol other than 2xx: {"code","message"}.
type v3Error struct {
	status        int
	code, message string
}

func gatewayErr(status int, code, message string) *v3Error {
	return &v3Error{status: status, code: code, message: message}
}

// parseV3Auth splits the authorization header. An empty header gives an empty v3Auth,
// whose missing fields then fail the gateway's checks in order (a request without the
// header is answered missing-timestamp, as Alipay answers it). A foreign scheme or a
// field that is not key=value is refused.
func parseV3Auth(h string) (v3Auth, *v3Error) {
	a := v3Auth{fields: map[string]string{}}
	if h == "" {
		return a, nil
	}
	scheme, rest, _ := strings.Cut(h, " ")
	if scheme != v3AuthScheme {
		return a, gatewayErr(http.StatusBadRequest, "invalid-signature-type", "无效的签名类型，仅支持"+v3AuthScheme)
	}
	a.authString = rest
	if i := strings.LastIndex(rest, ",sign="); i >= 0 {
		a.authString, a.sign = rest[:i], rest[i+len(",sign="):]
	}
	for _, kv := range strings.Split(a.authString, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if _, dup := a.fields[k]; !ok || k == "" || dup {
			return a, gatewayErr(http.StatusBadRequest, "invalid-parameter", "authorization格式错误，应为key=value并以英文逗号分隔")
		}
		a.fields[k] = v
	}
	return a, nil
}

// v3SignContent is the v3 request string to sign: one line each for the auth string, the
// HTTP method, the path with its query, the body ("" without one) and, only when the
// request carries alipay-app-auth-token, the token; every line ends with "\n".
func v3SignContent(authString, httpMethod, uri, body, appAuthToken string) string {
	s := authString + "\n" + httpMethod + "\n" + uri + "\n" + body + "\n"
	if appAuthToken != "" {
		s += appAuthToken + "\n"
	}
	return s
}

// v3SignedURIs are the request targets a client may have signed. The official SDKs sign
// the path relative to their configured endpoint, and the endpoint of this simulator
// ends in /sandbox: Java always signs without it, Node 4.x without it when there is no
// query string and with it when there is one (it re-reads the full URL's pathname then).
// Both forms verify (docs/decisions.md).
func v3SignedURIs(r *http.Request) []string {
	uri := r.RequestURI
	if !strings.HasPrefix(uri, "/") {
		uri = r.URL.RequestURI() // absolute-form request target (a proxy request)
	}
	if rel, ok := strings.CutPrefix(uri, "/sandbox"); ok && strings.HasPrefix(rel, "/") {
		return []string{rel, uri}
	}
	return []string{uri}
}

// v3Timestamp parses the authString timestamp: Unix milliseconds.
func v3Timestamp(s string) (time.Time, bool) {
	if s == "" || len(s) > 15 || !digits(s) {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// v3Signed is how an answer is signed: the key and, in certificate mode, the SN of the
// Alipay certificate reported in alipay-sn. A nil key leaves the answer unsigned.
type v3Signed struct {
	key    *rsa.PrivateKey
	certSN string
}

// writeV3 writes a v3 answer. alipay-trace-id is always set; a signed answer carries
// alipay-timestamp (Unix ms), alipay-nonce and alipay-signature, SHA256withRSA over
// "{timestamp}\n{nonce}\n{body}\n", plus alipay-sn in certificate mode. Header names are
// written in lower case, as Alipay's documentation and both SDKs spell them.
func (s *Sandbox) writeV3(w http.ResponseWriter, status int, body []byte, sig v3Signed) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h["alipay-trace-id"] = []string{newTraceID()}
	if sig.key != nil {
		ts := strconv.FormatInt(s.now().UnixMilli(), 10)
		nonce := randomHex(16)
		h["alipay-timestamp"] = []string{ts}
		h["alipay-nonce"] = []string{nonce}
		h["alipay-signature"] = []string{rsaSign(sig.key, hashSHA256, v3ResponseContent(ts, nonce, body))}
		if sig.certSN != "" {
			h["alipay-sn"] = []string{sig.certSN}
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// v3ResponseContent is the v3 response string to sign.
func v3ResponseContent(ts, nonce string, body []byte) []byte {
	b := make([]byte, 0, len(ts)+len(nonce)+len(body)+3)
	b = append(append(b, ts...), '\n')
	b = append(append(b, nonce...), '\n')
	return append(append(b, body...), '\n')
}

// newTraceID is an Alipay-style trace id: 32 hex characters.
func newTraceID() string { return randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
