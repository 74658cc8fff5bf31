package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// testBundle is one gateway on httptest with real SQLite, the real Alipay channel and the
// simulator mounted under /sandbox on the same server.
type testBundle struct {
	srv   *httptest.Server
	svc   *payment.Service
	store *sqlite.Store
	sb    *sandbox.Sandbox
	// alipayApp is the Alipay app id the gateway uses with the simulator.
	alipayApp string
	appID     string
	secret    string
	client    *client.Client
	changes   chan *payment.Order // every committed order change (Service.OnChange)
	wx        *wechat.Sandbox     // with setupOptions.wechat
}

type setupOptions struct {
	extra   func(*gin.Engine)
	waiter  httpapi.Waiter
	limiter httpapi.Limiter
	logger  *slog.Logger
	// ipLimiter limits the public routes per IP.
	ipLimiter httpapi.IPLimiter
	observe   func(method, route string, status int, d time.Duration)
	// wrapChannel wraps the real Alipay channel the service uses (the circuit breaker).
	wrapChannel func(payment.Channel) payment.Channel
	draining    func() bool
	// wrapStore wraps the store the Service uses (counting its reads).
	wrapStore func(payment.Store) payment.Store
	// trustedProxies are believed for X-Forwarded-For (tests name client addresses so).
	trustedProxies []string
	// notifyFail budgets unverified notifications (Service.SetNotifyFailBudget).
	notifyFail payment.NotifyFailBudget
	// wechat adds the WeChat Pay channel against the WeChat sandbox, mounted under
	// /sandbox/wechat on the same server (b.wx).
	wechat bool
	// tracerProvider traces the requests (a span recorder's).
	tracerProvider trace.TracerProvider
	// writeTimeout is the server's WriteTimeout (0: none), set before it serves.
	writeTimeout time.Duration
}

func setup(t *testing.T, opts ...func(*setupOptions)) *testBundle {
	t.Helper()
	var o setupOptions
	for _, f := range opts {
		f(&o)
	}
	ctx := context.Background()
	var handler http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	srv.Config.WriteTimeout = o.writeTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	// The core as f2fpay builds it; the notifications come to this package's endpoint.
	env := testenv.New(t, testenv.Options{WrapChannel: o.wrapChannel, WrapStore: o.wrapStore,
		Config: payment.Config{PublicURL: srv.URL, ConfirmWithQuery: true}})
	sb, svc := env.Sandbox, env.Service
	if o.notifyFail != nil {
		svc.SetNotifyFailBudget(o.notifyFail)
	}
	var wx *wechat.Sandbox
	var sandboxes http.Handler = sb
	if o.wechat {
		wx = addWeChat(t, svc, srv.URL)
		mux := http.NewServeMux()
		mux.Handle("/sandbox/wechat/", wx)
		mux.Handle("/", sb)
		sandboxes = mux
	}
	changes := make(chan *payment.Order, 256)
	svc.OnChange(func(o *payment.Order) {
		select {
		case changes <- o:
		default:
		}
	})
	handler = httpapi.New(httpapi.Config{
		Service: svc, Waiter: o.waiter, Limiter: o.limiter, Logger: o.logger, IPLimiter: o.ipLimiter, Observe: o.observe,
		Version: testVersion, Draining: o.draining, TrustedProxies: o.trustedProxies, TracerProvider: o.tracerProvider,
		Extra: func(e *gin.Engine) {
			e.Any("/sandbox/*path", gin.WrapH(sandboxes))
			if o.extra != nil {
				o.extra(e)
			}
		},
	})
	cl, secret, err := svc.CreateMerchant(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{srv: srv, svc: svc, store: env.Store, sb: sb, alipayApp: env.AppID, appID: cl.AppID, secret: secret,
		client: client.New(srv.URL, cl.AppID, secret), changes: changes, wx: wx}
}

// waitStatus waits until a committed change shows the order in status.
func (b *testBundle) waitStatus(t *testing.T, outTradeNo string, status payment.Status) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case o := <-b.changes:
			if o.OutTradeNo == outTradeNo && o.Status == status {
				return
			}
		case <-timeout:
			t.Fatalf("order %s did not become %s", outTradeNo, status)
		}
	}
}

// waitNotified waits until the simulator has recorded that the gateway answered "success"
// to a notification for the order. The simulator records the attempt only after our answer
// reaches it, which is after the change committed, so this polls the simulator.
func (b *testBundle) waitNotified(t *testing.T, outTradeNo string) {
	t.Helper()
	if !testutil.Eventually(0, func() bool {
		for _, a := range b.sb.Notifications(outTradeNo) {
			if a.Success && a.Response == "success" {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no notification for %s answered success: %+v", outTradeNo, b.sb.Notifications(outTradeNo))
	}
}

// rawRequest describes one hand-made request; sign* fields, when set, are what is signed
// instead of what is sent.
type rawRequest struct {
	method, path, query string
	body                []byte
	appID, secret       string
	ts                  string
	nonce               string
	signPath, signQuery string
	signBody            []byte
	header              func(http.Header) // last word on the headers
}

type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends r signed as docs/api.md (Authentication) says (with b's credentials unless r names others).
func (b *testBundle) do(t *testing.T, r rawRequest) rawResponse {
	t.Helper()
	if r.appID == "" {
		r.appID = b.appID
	}
	if r.secret == "" {
		r.secret = b.secret
	}
	if r.ts == "" {
		r.ts = strconv.FormatInt(time.Now().Unix(), 10)
	}
	if r.nonce == "" {
		r.nonce = client.NewNonce()
	}
	signPath, signQuery, signBody := r.path, r.query, r.body
	if r.signPath != "" {
		signPath = r.signPath
	}
	if r.signQuery != "" {
		signQuery = r.signQuery
	}
	if r.signBody != nil {
		signBody = r.signBody
	}
	u := b.srv.URL + r.path
	if r.query != "" {
		u += "?" + r.query
	}
	req, err := http.NewRequest(r.method, u, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-App-Id", r.appID)
	req.Header.Set("X-Timestamp", r.ts)
	req.Header.Set("X-Nonce", r.nonce)
	req.Header.Set("X-Signature", client.Sign(r.secret, r.method, signPath, signQuery, r.ts, r.nonce, signBody))
	if r.header != nil {
		r.header(req.Header)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: body}
}

// wantError checks status, the exact shape {"error":{code,message,request_id}} with the
// request id of the X-Request-Id header, and that the message contains msg.
func wantError(t *testing.T, r rawResponse, status int, code, msg string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(r.body, &env); err != nil || len(env) != 1 || env["error"] == nil {
		t.Fatalf("not an error object: %s", r.body)
	}
	e := env["error"]
	if e["code"] != code || !bytes.Contains([]byte(e["message"]), []byte(msg)) {
		t.Fatalf("error %v, want %s containing %q", e, code, msg)
	}
	if e["request_id"] == "" || e["request_id"] != r.header.Get("X-Request-Id") {
		t.Fatalf("request_id %q, X-Request-Id %q", e["request_id"], r.header.Get("X-Request-Id"))
	}
}

func wantClientError(t *testing.T, err error, status int, code string) *client.Error {
	t.Helper()
	ce, ok := err.(*client.Error)
	if !ok {
		t.Fatalf("error %v (%T), want *client.Error %d %s", err, err, status, code)
	}
	if ce.Status != status || ce.Code != code || ce.RequestID == "" || ce.Message == "" {
		t.Fatalf("error %+v, want %d %s with message and request id", ce, status, code)
	}
	return ce
}

func createReq(no, amount string) client.CreateRequest {
	return client.CreateRequest{OutTradeNo: no, TotalAmount: amount, Subject: "测试商品"}
}

// WeChat Pay merchant of setupOptions.wechat.
const (
	wechatMchID  = "1900000109"
	wechatSerial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	wechatAPIv3  = "httpapi-test-apiv3-0123456789abc"
)

// addWeChat starts the WeChat sandbox (served at base), registers the merchant with the
// test key and adds the real WeChat Pay channel to svc, notified at base/notify/wechat.
func addWeChat(t *testing.T, svc *payment.Service, base string) *wechat.Sandbox {
	t.Helper()
	sb, err := wechat.New(wechat.Config{BaseURL: base, TimeScale: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	priv, pub := wechatKeys(t)
	if err := sb.RegisterMerchant(wechatMchID, wechatSerial, pub, wechatAPIv3); err != nil {
		t.Fatal(err)
	}
	c, err := wechatpay.New(wechatpay.Config{MchID: wechatMchID, AppID: "wxd678efh567hg6787", CertSerial: wechatSerial,
		PrivateKey: priv, APIv3Key: wechatAPIv3, PlatformPublicKey: sb.PlatformPublicKeyPEM(),
		PlatformPublicKeyID: sb.PlatformPublicKeyID(), Gateway: base + "/sandbox/wechat"})
	if err != nil {
		t.Fatal(err)
	}
	svc.AddChannel(payment.ChannelWeChat, wechatpay.NewChannel(c, base+"/notify/wechat"))
	return sb
}

// The merchant's WeChat key pair is expensive to generate; every test shares one.
var (
	wechatKeyOnce         sync.Once
	wechatPriv, wechatPub string
)

func wechatKeys(t testing.TB) (string, string) {
	t.Helper()
	wechatKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		wechatPriv = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		wechatPub = wechatpay.PublicKeyPEM(&k.PublicKey)
	})
	return wechatPriv, wechatPub
}
