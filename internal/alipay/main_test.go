package alipay

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// env is a sandbox on httptest plus a notify_url that records every notification form.
type env struct {
	sb      *sandbox.Sandbox
	base    string // the sandbox server's URL
	gateway string
	sink    *notifySink
	close   func()
}

// shared is one sandbox per test binary (its key generation is the slow part); tests
// keep apart by app id and out_trade_no. Tests that set faults build their own with newEnv.
var shared struct {
	once sync.Once
	env  *env
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.env != nil {
		shared.env.close()
	}
	os.Exit(code)
}

func sharedEnv(t *testing.T) *env {
	t.Helper()
	shared.once.Do(func() { shared.env, shared.err = startEnv(sandbox.Config{}) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.env
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, sandbox.Config{})
}

// newEnvWith is newEnv with a sandbox configured by cfg (BaseURL is set here).
func newEnvWith(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	e, err := startEnv(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return e
}

func startEnv(cfg sandbox.Config) (*env, error) {
	var h atomic.Pointer[sandbox.Sandbox]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	cfg.BaseURL = srv.URL
	sb, err := sandbox.New(cfg)
	if err != nil {
		srv.Close()
		return nil, err
	}
	h.Store(sb)
	sink := newNotifySink()
	return &env{
		sb: sb, base: srv.URL, gateway: srv.URL + "/sandbox/gateway.do", sink: sink,
		close: func() { sb.Close(); srv.Close(); sink.srv.Close() },
	}, nil
}

var appSeq atomic.Int64

// app registers a fresh app (with the cached app key) and returns a channel for it that
// records its calls.
func (e *env) app(t *testing.T) (*Channel, string, *recorder) {
	t.Helper()
	appID := fmt.Sprintf("2021%012d", appSeq.Add(1))
	if err := e.sb.RegisterApp(appID, pubPEM(&testKey(t, 0).PublicKey)); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	ch, err := New(Config{
		AppID: appID, PrivateKey: privPKCS8PEM(testKey(t, 0)), AlipayPublicKey: e.sb.AlipayPublicKeyPEM(),
		GatewayURL: e.gateway, SellerID: e.sb.SellerID(appID), Timeout: 5 * time.Second, Recorder: rec.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ch, appID, rec
}

// precreate asks for a QR of amount fen with the sink as notify_url.
func (e *env) precreate(t *testing.T, ch *Channel, outTradeNo string, amount payment.Amount) string {
	t.Helper()
	qr, err := ch.Precreate(context.Background(), payment.PrecreateRequest{
		OutTradeNo: outTradeNo, TotalAmount: amount, Subject: "f2fpay test " + outTradeNo, Body: "body",
		ExpiresAt: time.Now().Add(30 * time.Minute), NotifyURL: e.sink.url(),
	})
	if err != nil {
		t.Fatalf("precreate %s: %v", outTradeNo, err)
	}
	if qr == "" {
		t.Fatal("empty qr_code")
	}
	return qr
}

// paid precreates, scans and pays an order.
func (e *env) paid(t *testing.T, ch *Channel, appID, outTradeNo string, amount payment.Amount) {
	t.Helper()
	e.precreate(t, ch, outTradeNo, amount)
	if _, err := e.sb.Pay(appID, outTradeNo, "success"); err != nil {
		t.Fatalf("sandbox pay: %v", err)
	}
}

// recorder collects the Recorder callbacks.
type recorder struct {
	mu    sync.Mutex
	calls []payment.ChannelCall
}

func (r *recorder) add(c payment.ChannelCall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *recorder) methods() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.calls))
	for i, c := range r.calls {
		out[i] = c.Method + ":" + c.Outcome
	}
	return out
}

// notifySink is a notify_url that records every form and answers "success".
type notifySink struct {
	srv     *httptest.Server
	mu      sync.Mutex
	forms   []url.Values
	arrived chan struct{} // closed and replaced on every arrival
}

func newNotifySink() *notifySink {
	s := &notifySink{arrived: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "failure", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.forms = append(s.forms, r.PostForm)
		close(s.arrived)
		s.arrived = make(chan struct{})
		s.mu.Unlock()
		w.Write([]byte("success"))
	}))
	return s
}

func (s *notifySink) url() string { return s.srv.URL + "/notify/alipay" }

// wait returns the first recorded form of the app for outTradeNo that match accepts.
func (s *notifySink) wait(t *testing.T, appID, outTradeNo string, match func(url.Values) bool) url.Values {
	t.Helper()
	f, err := s.await(appID, outTradeNo, match)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// await is wait for goroutines other than the test's: it returns an error after
// testutil.DefaultWait instead of failing the test.
func (s *notifySink) await(appID, outTradeNo string, match func(url.Values) bool) (url.Values, error) {
	deadline := time.After(testutil.DefaultWait)
	for {
		s.mu.Lock()
		for _, f := range s.forms {
			if f.Get("app_id") == appID && f.Get("out_trade_no") == outTradeNo && match(f) {
				s.mu.Unlock()
				return f, nil
			}
		}
		arrived := s.arrived
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-deadline:
			return nil, fmt.Errorf("no matching notification for %s", outTradeNo)
		}
	}
}
