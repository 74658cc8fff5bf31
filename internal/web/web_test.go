package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/web"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

const (
	adminPassword = "correct horse battery staple"
)

var (
	hashOnce          sync.Once
	adminPasswordHash string
	orderSeq          atomic.Int64
)

func passwordHash() string {
	hashOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte(adminPassword), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		adminPasswordHash = string(h)
	})
	return adminPasswordHash
}

// offsetClock is the service's clock; tests move it to create orders that expire soon.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// testBundle is the whole gateway on httptest: SQLite, the real Alipay channel against the
// simulator (mounted under /sandbox on the same server), the notifier, the API and the pages.
type testBundle struct {
	srv   *httptest.Server
	url   string
	svc   *payment.Service
	store payment.Store
	sb    *sandbox.Sandbox
	// alipayApp is the Alipay app id the gateway uses with the simulator.
	alipayApp string
	notes     *notifier.Notifier
	clock     *offsetClock
	client    *client.Client
	appID     string
	secret    string
	wechat    *wechatSetup // nil unless setupWith(t, true)
}

func setup(t *testing.T) *testBundle { t.Helper(); return setupWith(t, false) }

// setupWith is setup, with the WeChat Pay channel against the WeChat sandbox (mounted under
// /sandbox/wechat on the same server) when wechat is set.
func setupWith(t *testing.T, wechat bool) *testBundle {
	t.Helper()
	ctx := context.Background()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	// The core as f2fpay builds it (the channel records its calls and is the bill source);
	// the notifications come to the merchant API's endpoint on srv.
	clock := &offsetClock{}
	env := testenv.New(t, testenv.Options{Clock: clock,
		Config: payment.Config{PublicURL: srv.URL, ConfirmWithQuery: true}})
	st, sb, svc := env.Store, env.Sandbox, env.Service
	var wx *wechatSetup
	if wechat {
		wx = addWeChat(t, svc, st, srv.URL)
	}
	notes := notifier.New(st)
	svc.OnChange(notes.Publish)
	pages, err := web.New(web.Config{Service: svc, Notifier: notes, MerchantName: "Test Shop", AdminPasswordHash: passwordHash()})
	if err != nil {
		t.Fatal(err)
	}
	handler = httpapi.New(httpapi.Config{Service: svc, Waiter: notes, Extra: func(e *gin.Engine) {
		var sandboxes http.Handler = sb
		if wx != nil {
			mux := http.NewServeMux()
			mux.Handle("/sandbox/wechat/", wx.sb)
			mux.Handle("/", sb)
			sandboxes = mux
		}
		e.Any("/sandbox/*path", gin.WrapH(sandboxes))
		pages.Mount(e)
	}})
	cl, secret, err := svc.CreateMerchant(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{srv: srv, url: srv.URL, svc: svc, store: st, sb: sb, alipayApp: env.AppID, notes: notes, clock: clock,
		client: client.New(srv.URL, cl.AppID, secret), appID: cl.AppID, secret: secret, wechat: wx}
}

// order creates a pending order through the merchant API.
func (b *testBundle) order(t testing.TB, amount string) *client.Payment {
	t.Helper()
	no := fmt.Sprintf("web_%d_%d", time.Now().UnixNano(), orderSeq.Add(1))
	p, _, err := b.client.Create(context.Background(), client.CreateRequest{OutTradeNo: no, TotalAmount: amount, Subject: "测试商品 Test item"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// expiringOrder creates an order that expires in about left (orders last at least a
// minute, so it is created by a service clock that runs behind).
func (b *testBundle) expiringOrder(t testing.TB, left time.Duration) *client.Payment {
	t.Helper()
	b.clock.off.Store(int64(left - time.Minute))
	defer b.clock.off.Store(0)
	no := fmt.Sprintf("exp_%d_%d", time.Now().UnixNano(), orderSeq.Add(1))
	p, _, err := b.client.Create(context.Background(), client.CreateRequest{OutTradeNo: no, TotalAmount: "1.00", Subject: "expiring", TimeoutMinutes: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pay pays the order as a buyer would, through the simulator.
func (b *testBundle) pay(t testing.TB, outTradeNo string) {
	t.Helper()
	if _, err := b.sb.Pay(b.alipayApp, outTradeNo, sandbox.OutcomeSuccess); err != nil {
		t.Fatal(err)
	}
}

// waitStatus polls the store until the order has status (the notification is async).
func (b *testBundle) waitStatus(t testing.TB, outTradeNo string, status payment.Status) *payment.Order {
	t.Helper()
	sub := b.notes.Subscribe(outTradeNo)
	defer sub.Close()
	o, err := b.store.GetOrder(context.Background(), outTradeNo)
	for deadline := time.After(10 * time.Second); err != nil || o.Status != status; {
		select {
		case o = <-sub.C:
			err = nil
		case <-deadline:
			t.Fatalf("order %s did not become %s", outTradeNo, status)
		}
	}
	return o
}

// browserClient is an HTTP client with a cookie jar that does not follow redirects.
func browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

const (
	wechatMchID  = "1900000109"
	wechatAppID  = "wxd678efh567hg6787"
	wechatSerial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	wechatAPIv3  = "web-test-apiv3-key-0123456789abc"
)

// wechatSetup is the WeChat Pay channel of a test bundle and its sandbox.
type wechatSetup struct {
	sb *wechat.Sandbox
}

// addWeChat starts the WeChat sandbox (served by the bundle's server at base), registers a
// merchant with a fresh key and adds the real WeChat Pay channel to svc.
func addWeChat(t testing.TB, svc *payment.Service, st payment.Store, base string) *wechatSetup {
	t.Helper()
	sb, err := wechat.New(wechat.Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.RegisterMerchant(wechatMchID, wechatSerial, wechatpay.PublicKeyPEM(&k.PublicKey), wechatAPIv3); err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	c, err := wechatpay.New(wechatpay.Config{MchID: wechatMchID, AppID: wechatAppID, CertSerial: wechatSerial,
		PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), APIv3Key: wechatAPIv3,
		PlatformPublicKey: sb.PlatformPublicKeyPEM(), PlatformPublicKeyID: sb.PlatformPublicKeyID(),
		Gateway: base + "/sandbox/wechat", Recorder: func(c payment.ChannelCall) { _ = st.InsertChannelCall(context.Background(), &c) }})
	if err != nil {
		t.Fatal(err)
	}
	svc.AddChannel(payment.ChannelWeChat, wechatpay.NewChannel(c, base+"/notify/wechat"))
	return &wechatSetup{sb: sb}
}
