package wechat

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests below build requests and check answers with crypto/rsa and crypto/aes directly,
// not with package wechatpay, so that a bug shared by the simulator and that package cannot
// pass unnoticed.

const (
	testMchID    = "1900000109"
	testSerial   = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	testAPIv3Key = "f2fpay-sandbox-apiv3-key-0123456"
	testAppID    = "wxd678efh567hg6787"
)

var (
	keysOnce                 sync.Once
	platformKey, merchantKey *rsa.PrivateKey
)

func keys() (*rsa.PrivateKey, *rsa.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if platformKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if merchantKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return platformKey, merchantKey
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// bundle is a simulator on a test server, in manual mode, with a pinned clock and one
// registered merchant.
type bundle struct {
	s     *Sandbox
	srv   *httptest.Server
	clock *fakeClock
}

func setup(t *testing.T, cfg Config) *bundle {
	t.Helper()
	pk, mk := keys()
	clk := &fakeClock{t: time.Date(2024, 6, 5, 4, 0, 0, 0, time.UTC)}
	s, err := newSandbox(cfg, options{clock: clk, key: pk, manual: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.RegisterMerchant(testMchID, testSerial, pubPEM(&mk.PublicKey), testAPIv3Key); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &bundle{s: s, srv: srv, clock: clk}
}

func pubPEM(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func rsaSign(key *rsa.PrivateKey, msg string) string {
	sum := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// sdkStyle says how an official SDK lays out a request.
type sdkStyle int

const (
	goSDK   sdkStyle = iota // wechatpay-go: Accept */*, JSON encoder body with a trailing newline, field order mchid,nonce_str,timestamp,serial_no,signature
	javaSDK                 // wechatpay-java / the documentation's examples: Accept application/json, charset in Content-Type, order mchid,nonce_str,signature,timestamp,serial_no
)

// request builds a raw APIv3 request for path (below /sandbox/wechat) as the given SDK
// does; body nil sends none. mod may alter the request after signing.
func (b *bundle) request(t *testing.T, style sdkStyle, method, path string, body any) *http.Request {
	t.Helper()
	var raw []byte
	if body != nil {
		var buf bytes.Buffer
		if style == goSDK {
			_ = json.NewEncoder(&buf).Encode(body) // the Go SDK's setBody: Encode appends "\n"
		} else {
			j, _ := json.Marshal(body)
			buf.Write(j)
		}
		raw = buf.Bytes()
	}
	req, err := http.NewRequest(method, b.srv.URL+"/sandbox/wechat"+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, mk := keys()
	ts := strconv.FormatInt(b.clock.Now().Unix(), 10)
	nonce := strings.ToUpper(fmt.Sprintf("%x", sha256.Sum256([]byte(ts+path+string(raw)))))[:32]
	sig := rsaSign(mk, method+"\n"+req.URL.RequestURI()+"\n"+ts+"\n"+nonce+"\n"+string(raw)+"\n")
	if style == goSDK {
		req.Header.Set("Accept", "*/*")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "WechatPay-Go/0.2.21 (linux) GO/go1.26.8")
		req.Header.Set("Authorization", fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"`,
			testMchID, nonce, ts, testSerial, sig))
	} else {
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
		req.Header.Set("User-Agent", "WechatPay-Java/0.2.17 (Linux) Java/17")
		req.Header.Set("Authorization", fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"`,
			testMchID, nonce, sig, ts, testSerial))
	}
	req.Header.Set("Wechatpay-Serial", b.s.PlatformPublicKeyID())
	return req
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("answer %d is not JSON: %s", r.status, r.body)
	}
	return v
}

func (r reply) code(t *testing.T) string {
	t.Helper()
	c, _ := r.json(t)["code"].(string)
	return c
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

// call sends a Go-SDK-style request and checks the answer's signature.
func (b *bundle) call(t *testing.T, method, path string, body any) reply {
	t.Helper()
	r := do(t, b.request(t, goSDK, method, path, body))
	b.checkSigned(t, r)
	return r
}

// checkSigned verifies an answer's Wechatpay-* headers with the platform public key.
func (b *bundle) checkSigned(t *testing.T, r reply) {
	t.Helper()
	if err := verifyWeChat(b.s, r.header, r.body, b.clock.Now()); err != nil {
		t.Fatalf("answer %d %s: %v", r.status, r.body, err)
	}
}

func verifyWeChat(s *Sandbox, h http.Header, body []byte, now time.Time) error {
	block, _ := pem.Decode([]byte(s.PlatformPublicKeyPEM()))
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return err
	}
	if h.Get("Wechatpay-Serial") != s.PlatformPublicKeyID() || !strings.HasPrefix(h.Get("Wechatpay-Serial"), "PUB_KEY_ID_") {
		return fmt.Errorf("Wechatpay-Serial %q", h.Get("Wechatpay-Serial"))
	}
	if h.Get("Wechatpay-Signature-Type") != "WECHATPAY2-SHA256-RSA2048" {
		return fmt.Errorf("Wechatpay-Signature-Type %q", h.Get("Wechatpay-Signature-Type"))
	}
	ts, _ := strconv.ParseInt(h.Get("Wechatpay-Timestamp"), 10, 64)
	if d := now.Unix() - ts; d > 300 || d < -300 {
		return fmt.Errorf("timestamp %d is %d s off", ts, d)
	}
	sig, err := base64.StdEncoding.DecodeString(h.Get("Wechatpay-Signature"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(h.Get("Wechatpay-Timestamp") + "\n" + h.Get("Wechatpay-Nonce") + "\n" + string(body) + "\n"))
	return rsa.VerifyPKCS1v15(k.(*rsa.PublicKey), crypto.SHA256, sum[:], sig)
}

// openResource decrypts a notification resource with crypto/aes directly.
func openResource(t *testing.T, key string, res map[string]any) map[string]any {
	t.Helper()
	ct, _ := base64.StdEncoding.DecodeString(res["ciphertext"].(string))
	block, _ := aes.NewCipher([]byte(key))
	gcm, _ := cipher.NewGCM(block)
	pt, err := gcm.Open(nil, []byte(res["nonce"].(string)), ct, []byte(res["associated_data"].(string)))
	if err != nil {
		t.Fatalf("resource does not open: %v", err)
	}
	var v map[string]any
	if err := json.Unmarshal(pt, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func nativeBody(outTradeNo string, total int64, notifyURL string) map[string]any {
	return map[string]any{"appid": testAppID, "mchid": testMchID, "description": "Image形象店-深圳腾大-QQ公仔",
		"out_trade_no": outTradeNo, "notify_url": notifyURL, "amount": map[string]any{"total": total, "currency": "CNY"}}
}

// order places a Native order and returns its code_url.
func (b *bundle) order(t *testing.T, outTradeNo string, total int64, notifyURL string) string {
	t.Helper()
	r := b.call(t, "POST", "/v3/pay/transactions/native", nativeBody(outTradeNo, total, notifyURL))
	if r.status != 200 {
		t.Fatalf("native: %d %s", r.status, r.body)
	}
	return r.json(t)["code_url"].(string)
}

// api calls the control API.
func (b *bundle) api(t *testing.T, method, path string, body any) reply {
	t.Helper()
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, b.srv.URL+"/sandbox/wechat/api"+path, bytes.NewReader(j))
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func (b *bundle) pay(t *testing.T, outTradeNo string) {
	t.Helper()
	if r := b.api(t, "POST", "/pay", map[string]any{"mchid": testMchID, "out_trade_no": outTradeNo}); r.status != 200 {
		t.Fatalf("pay: %d %s", r.status, r.body)
	}
}
