// Package testenv wires a real gateway core in process for tests: SQLite in a temp dir, the
// sandbox on httptest, and the channel and payment.Service as internal/app/backend builds
// them for f2fpay itself (the channel over the smartwalle SDK, recording its calls in the
// store), with a notify endpoint the sandbox calls. Only tests import it; tests of a whole
// gateway (workers, HTTP) build internal/app instead.
package testenv

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/app/backend"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// Options tune the stack; the zero value is a system clock, a 5 s channel timeout and
// confirmation of notifications by query.
type Options struct {
	Clock          payment.Clock // nil: the system clock
	ChannelTimeout time.Duration // 0: 5 s
	// WrapChannel, when set, wraps the channel the Service uses (faking some answers).
	WrapChannel func(payment.Channel) payment.Channel
	// WrapStore, when set, wraps the store the Service uses (counting its reads).
	WrapStore func(payment.Store) payment.Store
	// Store, when set, is the store to use instead of a fresh SQLite file (Env.Store is
	// then nil; use Service.Store()). The test owns it.
	Store payment.Store
	// Config is the Service's; an empty PublicURL is set to the stack's own notify endpoint,
	// and a caller serving the notify endpoint itself (an HTTP layer's test) names its own.
	Config payment.Config
	// SandboxRefundSpacing is the sandbox's Config.RefundSpacing (0: not enforced).
	SandboxRefundSpacing time.Duration
	// WeChat adds the WeChat Pay channel against the WeChat sandbox (its own httptest
	// server), notifying the same gateway server at /notify/wechat.
	WeChat bool
}

// Env is the wired stack.
type Env struct {
	Store   *sqlite.Store
	Service *payment.Service
	Channel *alipay.Channel // the real channel, unwrapped
	Sandbox *sandbox.Sandbox
	AppID   string // the Alipay app registered with the sandbox

	// With Options.WeChat: the WeChat sandbox, its base URL (…/sandbox/wechat/api/… under
	// it) and the merchant registered there.
	WeChatSandbox *wechat.Sandbox
	WeChatURL     string
	WeChatMchID   string
}

var (
	appKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	appSeq atomic.Int64
)

// New builds the stack; everything is closed by t.Cleanup.
func New(t *testing.T, o Options) *Env {
	t.Helper()
	e := &Env{}
	alipayCfg := e.startSandbox(t, o.SandboxRefundSpacing)
	if o.ChannelTimeout != 0 {
		alipayCfg.Timeout = o.ChannelTimeout
	}
	st := o.Store
	if st == nil {
		var err error
		e.Store, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "f2fpay.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Store.Close() })
		st = e.Store
	}
	var svcp atomic.Pointer[payment.Service]
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == backend.WeChatNotifyPath {
			if err := svcp.Load().HandleHTTPNotification(r.Context(), payment.ChannelWeChat, r.Header, body, r.RemoteAddr); err != nil {
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, `{"code":"FAIL","message":"失败"}`)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err := svcp.Load().HandleNotification(r.Context(), string(body), r.RemoteAddr); err != nil {
			io.WriteString(w, "failure")
			return
		}
		io.WriteString(w, "success")
	}))
	t.Cleanup(gw.Close)
	cfg := o.Config
	if cfg.PublicURL == "" {
		cfg.PublicURL = gw.URL
	}
	if o.WrapStore != nil {
		st = o.WrapStore(st)
	}
	var wx config.WeChatConfig
	if o.WeChat {
		wx = e.startWeChat(t)
	}
	b, err := backend.New(st, backend.Options{Alipay: alipayCfg, WeChat: wx, MasterKey: secretbox.NewKey(), Payment: cfg,
		Clock: o.Clock, WrapChannel: o.WrapChannel})
	if err != nil {
		t.Fatal(err)
	}
	e.Service, e.Channel = b.Service, b.Channel
	svcp.Store(e.Service)
	return e
}

// startSandbox starts the sandbox on httptest with a fresh app of the shared key, and
// returns the Alipay settings of a gateway that uses it (a 5 s call timeout).
func (e *Env) startSandbox(t *testing.T, spacing time.Duration) config.AlipayConfig {
	t.Helper()
	var sbh atomic.Pointer[sandbox.Sandbox]
	sbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(w, r) }))
	t.Cleanup(sbSrv.Close)
	sb, err := sandbox.New(sandbox.Config{BaseURL: sbSrv.URL, RefundSpacing: spacing})
	if err != nil {
		t.Fatal(err)
	}
	sbh.Store(sb)
	t.Cleanup(sb.Close)
	e.Sandbox = sb
	key, err := appKey()
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pk8, _ := x509.MarshalPKCS8PrivateKey(key)
	e.AppID = fmt.Sprintf("2021%012d", appSeq.Add(1))
	if err := sb.RegisterApp(e.AppID, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))); err != nil {
		t.Fatal(err)
	}
	return config.AlipayConfig{AppID: e.AppID, PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8})),
		AlipayPublicKey: sb.AlipayPublicKeyPEM(), Gateway: sbSrv.URL + "/sandbox/gateway.do", SellerID: sb.SellerID(e.AppID),
		Timeout: 5 * time.Second}
}

var mchSeq atomic.Int64

// startWeChat starts the WeChat sandbox on httptest with a fresh merchant of the shared key,
// and returns the wechat settings of a gateway that uses it (a 5 s call timeout).
func (e *Env) startWeChat(t *testing.T) config.WeChatConfig {
	t.Helper()
	var sbh atomic.Pointer[wechat.Sandbox]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	sb, err := wechat.New(wechat.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sbh.Store(sb)
	t.Cleanup(sb.Close)
	key, err := appKey()
	if err != nil {
		t.Fatal(err)
	}
	pk8, _ := x509.MarshalPKCS8PrivateKey(key)
	e.WeChatSandbox, e.WeChatURL = sb, srv.URL
	e.WeChatMchID = fmt.Sprintf("19%08d", mchSeq.Add(1))
	const serial, apiV3 = "7132D72A03E93CDDF8C03BBD1F37EEDF8E4F4D3E", "testenv-apiv3-key-0123456789abcd"
	if err := sb.RegisterMerchant(e.WeChatMchID, serial, wechatpay.PublicKeyPEM(&key.PublicKey), apiV3); err != nil {
		t.Fatal(err)
	}
	return config.WeChatConfig{MchID: e.WeChatMchID, AppID: "wx" + e.WeChatMchID + "00000000", CertSerial: serial,
		PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8})), APIv3Key: apiV3,
		PlatformPublicKey: sb.PlatformPublicKeyPEM(), PlatformPublicKeyID: sb.PlatformPublicKeyID(),
		Gateway: srv.URL + "/sandbox/wechat", Timeout: 5 * time.Second}
}
