package wechatpay_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// The client against the simulator, over real HTTP, with the simulator's clock compressed
// 1000 times (retries 15 ms apart, refunds settling in 5 ms).

const (
	e2eMchID  = "1900000109"
	e2eAppID  = "wxd678efh567hg6787"
	e2eSerial = "3775B6A45ACD588826D15E583A95F5DD12345678"
	e2eAPIv3  = "e2e-apiv3-key-0123456789abcdefgh"
)

type env struct {
	sb     *wechat.Sandbox
	srv    *httptest.Server
	client *wechatpay.Client

	mu      sync.Mutex
	got     []*wechatpay.Notification
	refused []error
	raw     []rawNotification // every notification as received, for the channel adapter's tests
}

type rawNotification struct {
	header http.Header
	body   []byte
}

func setupEnv(t *testing.T, timeout time.Duration) *env {
	t.Helper()
	sb, err := wechat.New(wechat.Config{TimeScale: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	e := &env{sb: sb}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/wechat/", sb)
	mux.HandleFunc("POST /notify/wechat", e.receive)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	var reg struct {
		PlatformPublicKey   string `json:"platform_public_key"`
		PlatformPublicKeyID string `json:"platform_public_key_id"`
	}
	e.post(t, "/sandbox/wechat/api/merchants", map[string]string{"mchid": e2eMchID, "serial_no": e2eSerial,
		"public_key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})), "api_v3_key": e2eAPIv3}, 201, &reg)
	privDER, _ := x509.MarshalPKCS8PrivateKey(key)
	e.client, err = wechatpay.New(wechatpay.Config{MchID: e2eMchID, AppID: e2eAppID, CertSerial: e2eSerial,
		PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})), APIv3Key: e2eAPIv3,
		PlatformPublicKey: reg.PlatformPublicKey, PlatformPublicKeyID: reg.PlatformPublicKeyID,
		Gateway: e.srv.URL + "/sandbox/wechat", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// receive is the merchant's notify_url: verify, decrypt, record, answer as WeChat Pay expects.
func (e *env) receive(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, wechatpay.MaxNotificationBody))
	n, err := e.client.ParseNotification(r.Header, body)
	e.mu.Lock()
	e.raw = append(e.raw, rawNotification{header: r.Header.Clone(), body: body})
	if err != nil {
		e.refused = append(e.refused, err)
	} else {
		e.got = append(e.got, n)
	}
	e.mu.Unlock()
	wechatpay.WriteNotifyAnswer(w, err)
}

func (e *env) notifications(event, outTradeNo string) []*wechatpay.Notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*wechatpay.Notification
	for _, n := range e.got {
		if n.EventType != event {
			continue
		}
		if (n.Transaction != nil && n.Transaction.OutTradeNo == outTradeNo) || (n.Refund != nil && n.Refund.OutTradeNo == outTradeNo) {
			out = append(out, n)
		}
	}
	return out
}

func (e *env) post(t *testing.T, path string, in any, want int, out any) {
	t.Helper()
	b, _ := json.Marshal(in)
	resp, err := http.Post(e.srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) order(t *testing.T, no string, total int64) string {
	t.Helper()
	url, err := e.client.NativePrepay(context.Background(), wechatpay.NativeRequest{OutTradeNo: no, Description: "f2fpay 测试商品",
		Total: paymentAmount(total), ExpiresAt: time.Now().Add(time.Hour), NotifyURL: e.srv.URL + "/notify/wechat"})
	if err != nil {
		t.Fatalf("NativePrepay(%s): %v", no, err)
	}
	return url
}

func wantError(t *testing.T, err error, outcome wechatpay.Outcome, code string) {
	t.Helper()
	var e *wechatpay.Error
	if !errors.As(err, &e) || e.Outcome != outcome || e.Code != code {
		t.Fatalf("got %v, want %s %s", err, outcome, code)
	}
}

func wechatFaults(m map[string]any) wechat.Faults {
	var f wechat.Faults
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &f); err != nil {
		panic(err)
	}
	return f
}

func errorsAs(err error, target **wechatpay.Error) bool { return errors.As(err, target) }
