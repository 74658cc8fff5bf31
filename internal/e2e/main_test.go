package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/wechatpay"

	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// binary is the f2fpay binary built once by TestMain.
var binary string

func TestMain(m *testing.M) { testbin.Main(m.Run, "../..", &binary) }

// world is a sandbox and a webhook receiver in this process, and the data dir, client and
// environment of an f2fpay serve child process.
type world struct {
	t        *testing.T
	sb       *sandbox.Sandbox
	appID    string
	wx       *wechat.Sandbox // WeChat Pay: orders whose number starts with "wx" (wechatOrder)
	wxURL    string
	wxMchID  string
	recv     *receiver
	dir      string
	env      []string
	baseURL  string
	clientID string
	secret   string
	// webhookSecret signs the client's webhooks (whsec_…), apart from its API secret.
	webhookSecret string
	cmd           *exec.Cmd
	exited        chan struct{}
	starts        int
}

func newWorld(t *testing.T, extraEnv ...string) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), recv: newReceiver(t)}
	w.appID = "2021000000000042"
	var alipayEnv []string
	w.sb, alipayEnv = newAlipay(t, w.appID)
	w.wxMchID = "1900000109"
	var wechatEnv []string
	w.wx, w.wxURL, wechatEnv = newWeChat(t, w.wxMchID)
	alipayEnv = append(alipayEnv, wechatEnv...)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port, kept across restarts
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	w.baseURL = "http://" + addr
	db := "sqlite:" + filepath.Join(w.dir, "f2fpay.db")
	w.env = append(os.Environ(),
		"F2FPAY_LISTEN="+addr, "F2FPAY_PUBLIC_URL="+w.baseURL, "F2FPAY_DATABASE="+db,
		"F2FPAY_MASTER_KEY="+secretbox.NewKey(), "F2FPAY_LOG_FORMAT=json",
		"F2FPAY_RATE_LIMIT_CLIENT_RATE=-1", // the suites count hundreds of orders at full speed; limits have tests of their own
		// Compressed time: the reconciler and the webhook retries run in milliseconds.
		"F2FPAY_RECONCILE_SCHEDULE=200ms,500ms,1s", "F2FPAY_RECONCILE_POLL=100ms", "F2FPAY_RECONCILE_LEASE=3s",
		"F2FPAY_WEBHOOK_SCHEDULE=100ms,200ms,500ms,1s,1s,1s,1s,1s", "F2FPAY_WEBHOOK_TIMEOUT=2s", "F2FPAY_WEBHOOK_LEASE=3s",
		"F2FPAY_WEBHOOK_ALLOW_NETWORKS=127.0.0.1/32", // the receiver runs in this test process
	)
	w.env = append(w.env, alipayEnv...)
	w.env = append(w.env, extraEnv...)
	out, err := w.run("client", "create", "--name", "e2e", "--notify-url", w.recv.srv.URL+"/hook", "--database", db)
	if err != nil {
		t.Fatalf("client create: %v\n%s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "app id: "); ok {
			w.clientID = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "secret: "); ok {
			w.secret = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "webhook secret: "); ok {
			w.webhookSecret = strings.TrimSpace(v)
		}
	}
	if w.clientID == "" || w.secret == "" || w.webhookSecret == "" {
		t.Fatalf("client create printed no credentials:\n%s", out)
	}
	t.Cleanup(w.kill)
	return w
}

// run runs an f2fpay command to completion with the world's environment.
func (w *world) run(args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = w.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start runs f2fpay serve and waits until /health answers.
func (w *world) start() {
	w.t.Helper()
	if err := w.startErr(); err != nil {
		w.t.Fatal(err)
	}
}

// startErr is start for any goroutine.
func (w *world) startErr() error {
	w.starts++
	log, err := os.OpenFile(filepath.Join(w.dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "=== start %d\n", w.starts)
	cmd := exec.Command(binary, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = w.env, log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(exited) }()
	w.cmd, w.exited = cmd, exited
	healthy := false
	testutil.Eventually(0, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		if resp, err := http.Get(w.baseURL + "/health"); err == nil {
			resp.Body.Close()
			healthy = resp.StatusCode == 200
		}
		return healthy
	})
	select {
	case <-exited:
		return fmt.Errorf("f2fpay serve exited at start:\n%s", w.logTail())
	default:
	}
	if healthy {
		return nil
	}
	return fmt.Errorf("f2fpay serve not healthy:\n%s", w.logTail())
}

// kill SIGKILLs the child, if running, and waits for it to exit.
func (w *world) kill() {
	if w.cmd == nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.exited
	w.cmd = nil
}

// stop ends the child gracefully (SIGTERM).
func (w *world) stop() {
	if w.cmd == nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
	case <-time.After(20 * time.Second):
		w.t.Errorf("f2fpay serve did not stop on SIGTERM")
		w.kill()
	}
	w.cmd = nil
}

func (w *world) logTail() string {
	b, _ := os.ReadFile(filepath.Join(w.dir, "serve.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// receiver is the merchant's webhook endpoint: it checks signatures and keeps every body
// per event id.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies map[string]map[string]bool // event id → distinct bodies
	posts  int
	secret atomic.Pointer[string]
	badSig int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{bodies: map[string]map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id, ts := req.Header.Get("X-F2FPay-Event-Id"), req.Header.Get("X-F2FPay-Timestamp")
		r.mu.Lock()
		defer r.mu.Unlock()
		r.posts++
		if s := r.secret.Load(); s != nil {
			// No timestamp check: a retry compressed into milliseconds is never stale here.
			if client.VerifyWebhook(*s, ts, req.Header.Get("X-F2FPay-Signature"), body, client.WithTolerance(0)) != nil {
				r.badSig++
			}
		}
		if r.bodies[id] == nil {
			r.bodies[id] = map[string]bool{}
		}
		r.bodies[id][string(body)] = true
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// snapshot returns the distinct bodies per event id, the POST count and bad signatures.
func (r *receiver) snapshot() (map[string]int, int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for id, bs := range r.bodies {
		out[id] = len(bs)
	}
	return out, r.posts, r.badSig
}

// withTimeout is a context for one test phase.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newAlipay starts a sandbox on httptest (compressed time) with an app of a fresh key pair
// registered, and returns the F2FPAY_ALIPAY_* environment of a gateway that uses it.
func newAlipay(t *testing.T, appID string) (*sandbox.Sandbox, []string) {
	t.Helper()
	var sbh atomic.Pointer[sandbox.Sandbox]
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(rw, r) }))
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Config{BaseURL: srv.URL, TimeScale: 100})
	if err != nil {
		t.Fatal(err)
	}
	sbh.Store(sb)
	t.Cleanup(sb.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pk8, _ := x509.MarshalPKCS8PrivateKey(key)
	if err := sb.RegisterApp(appID, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))); err != nil {
		t.Fatal(err)
	}
	return sb, []string{
		"F2FPAY_ALIPAY_APP_ID=" + appID,
		"F2FPAY_ALIPAY_PRIVATE_KEY=" + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8})),
		"F2FPAY_ALIPAY_PUBLIC_KEY=" + sb.AlipayPublicKeyPEM(), "F2FPAY_ALIPAY_GATEWAY=" + srv.URL + "/sandbox/gateway.do",
		"F2FPAY_ALIPAY_SELLER_ID=" + sb.SellerID(appID), "F2FPAY_ALIPAY_TIMEOUT=3s",
	}
}

// newWeChat starts the WeChat sandbox on httptest (100 times faster) with a fresh merchant
// and returns it, its base URL and the F2FPAY_WECHAT_* environment of a gateway that uses it.
func newWeChat(t *testing.T, mchID string) (*wechat.Sandbox, string, []string) {
	t.Helper()
	var sbh atomic.Pointer[wechat.Sandbox]
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(rw, r) }))
	t.Cleanup(srv.Close)
	sb, err := wechat.New(wechat.Config{BaseURL: srv.URL, TimeScale: 100})
	if err != nil {
		t.Fatal(err)
	}
	sbh.Store(sb)
	t.Cleanup(sb.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pk8, _ := x509.MarshalPKCS8PrivateKey(key)
	const serial, apiV3 = "3775B6A45ACD588826D15E583A95F5DD12345678", "e2e-apiv3-key-0123456789abcdefgh"
	if err := sb.RegisterMerchant(mchID, serial, wechatpay.PublicKeyPEM(&key.PublicKey), apiV3); err != nil {
		t.Fatal(err)
	}
	return sb, srv.URL, []string{
		"F2FPAY_WECHAT_MCH_ID=" + mchID, "F2FPAY_WECHAT_APP_ID=wxd678efh567hg6787", "F2FPAY_WECHAT_CERT_SERIAL=" + serial,
		"F2FPAY_WECHAT_PRIVATE_KEY=" + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8})),
		"F2FPAY_WECHAT_API_V3_KEY=" + apiV3, "F2FPAY_WECHAT_PLATFORM_PUBLIC_KEY=" + sb.PlatformPublicKeyPEM(),
		"F2FPAY_WECHAT_PLATFORM_PUBLIC_KEY_ID=" + sb.PlatformPublicKeyID(), "F2FPAY_WECHAT_GATEWAY=" + srv.URL + "/sandbox/wechat",
		"F2FPAY_WECHAT_TIMEOUT=3s",
	}
}

// wechatOrder reports whether the order of number no is created on WeChat Pay.
func wechatOrder(no string) bool { return strings.HasPrefix(no, "wx") }

// payWeChat has the WeChat sandbox's buyer pay the order.
func (w *world) payWeChat(no string) error {
	b, _ := json.Marshal(map[string]string{"mchid": w.wxMchID, "out_trade_no": no})
	resp, err := http.Post(w.wxURL+"/sandbox/wechat/api/pay", "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("wechat sandbox pay %s: %d %s", no, resp.StatusCode, body)
	}
	return nil
}

// wechatPaid reports whether the WeChat sandbox has the order paid.
func (w *world) wechatPaid(no string) bool {
	ts := w.wx.Trades(w.wxMchID, no)
	return len(ts) == 1 && (ts[0].State == "SUCCESS" || ts[0].State == "REFUND")
}
