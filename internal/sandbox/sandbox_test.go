package sandbox

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

// Keys are expensive to generate; every test shares one simulator key and one app key.
var (
	keysOnce          sync.Once
	testAlipayKey     *rsa.PrivateKey
	testAppKey        *rsa.PrivateKey
	testOtherKey      *rsa.PrivateKey
	testAppPrivatePEM string
	testAppPublicPEM  string
)

func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		// fixed keys from testdata: generating RSA keys is slow, more so under -fuzz
		b, err := os.ReadFile("testdata/test_keys.pem")
		if err != nil {
			panic(err)
		}
		var ks []*rsa.PrivateKey
		for {
			var blk *pem.Block
			if blk, b = pem.Decode(b); blk == nil {
				break
			}
			k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
			if err != nil {
				panic(err)
			}
			ks = append(ks, k)
		}
		testAlipayKey, testAppKey, testOtherKey = ks[0], ks[1], ks[2]
		der, _ := x509.MarshalPKCS8PrivateKey(testAppKey)
		testAppPrivatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		testAppPublicPEM = publicKeyPEM(&testAppKey.PublicKey)
	})
}

const testAppID = "2021000000000001"

// fakeClock is a settable time source.
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
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type bundle struct {
	sb     *Sandbox
	srv    *httptest.Server
	client *alipay.Client
	clock  *fakeClock
	notify *receiver
}

// receiver is a merchant notify endpoint that records every form it gets.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	forms  []url.Values
	answer func(n int) (int, string) // n is the 1-based delivery count
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{answer: func(int) (int, string) { return 200, "success" }}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		rc.mu.Lock()
		rc.forms = append(rc.forms, r.PostForm)
		code, body := rc.answer(len(rc.forms))
		rc.mu.Unlock()
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setAnswer(f func(n int) (int, string)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = f
}

func (rc *receiver) received() []url.Values {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]url.Values(nil), rc.forms...)
}

// setup starts a sandbox on httptest with a fake clock (manual mode: no background
// goroutines) and a registered app, and returns an SDK client pointed at it.
func setup(t *testing.T, cfg Config) *bundle {
	t.Helper()
	keys(t)
	clk := &fakeClock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, shanghai)}
	sb, err := newSandbox(cfg, options{clock: clk, key: testAlipayKey, manual: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	if err := sb.RegisterApp(testAppID, testAppPublicPEM); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return &bundle{sb: sb, srv: srv, client: newClient(t, srv.URL, sb.AlipayPublicKeyPEM()), clock: clk, notify: newReceiver(t)}
}

func newClient(t *testing.T, base, alipayPub string) *alipay.Client {
	t.Helper()
	c, err := alipay.New(testAppID, testAppPrivatePEM, false,
		alipay.WithSandboxGateway(base+"/sandbox/gateway.do"), alipay.WithTimeLocation(shanghai))
	if err != nil {
		t.Fatal(err)
	}
	if alipayPub != "" {
		if err := c.LoadAliPayPublicKey(alipayPub); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func precreate(t *testing.T, b *bundle, outTradeNo, amount string) *alipay.TradePreCreateRsp {
	t.Helper()
	p := alipay.TradePreCreate{}
	p.OutTradeNo, p.TotalAmount, p.Subject = outTradeNo, amount, "测试商品"
	p.NotifyURL = notifyURLFor(b)
	rsp, err := b.client.TradePreCreate(context.Background(), p)
	if err != nil {
		t.Fatalf("precreate: %v", err)
	}
	if rsp.IsFailure() {
		t.Fatalf("precreate: %s %s %s", rsp.Code, rsp.SubCode, rsp.SubMsg)
	}
	return rsp
}

// notifyURLFor is the default notify target of a bundle: a receiver answering success.
func notifyURLFor(b *bundle) string {
	if b.notify == nil {
		return ""
	}
	return b.notify.URL
}

var _ http.Handler = (*Sandbox)(nil)

func pemPKCS1(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func postJSON(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func postForm(t *testing.T, base string, form url.Values) string {
	t.Helper()
	resp, err := http.PostForm(base+"/sandbox/gateway.do", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	if _, err := io.Copy(&sb, resp.Body); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func tradeCancel(no string) alipay.TradeCancel { return alipay.TradeCancel{OutTradeNo: no} }
