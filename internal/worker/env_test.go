package worker

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
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
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

var bg = context.Background()

// fakeClock is a payment.Clock that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var appKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// env is a real gateway core in process: SQLite in a temp dir, the sandbox on httptest, the
// alipay channel, the Service with its notify endpoint, a client and a webhook receiver.
type env struct {
	t        *testing.T
	clock    payment.Clock
	store    *sqlite.Store
	svc      *payment.Service
	sb       *sandbox.Sandbox
	appID    string
	clientID string
	secret   string
	recv     *receiver
}

type envConfig struct {
	clock       payment.Clock // nil: system clock
	latePayment string
	schedule    []time.Duration
	noEndpoint  bool // the client gets no webhook URL
}

var appSeq atomic.Int64

func newEnv(t *testing.T, cfg envConfig) *env {
	t.Helper()
	e := &env{t: t, clock: cfg.clock, recv: newReceiver(t)}
	if e.clock == nil {
		e.clock = payment.SystemClock{}
	}
	var sbh atomic.Pointer[sandbox.Sandbox]
	sbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(w, r) }))
	t.Cleanup(sbSrv.Close)
	sb, err := sandbox.New(sandbox.Config{BaseURL: sbSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sbh.Store(sb)
	t.Cleanup(sb.Close)
	e.sb = sb
	key, err := appKey()
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pk8, _ := x509.MarshalPKCS8PrivateKey(key)
	e.appID = fmt.Sprintf("2021%012d", appSeq.Add(1))
	if err := sb.RegisterApp(e.appID, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))); err != nil {
		t.Fatal(err)
	}
	ch, err := alipay.New(alipay.Config{AppID: e.appID, PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8})),
		AlipayPublicKey: sb.AlipayPublicKeyPEM(), GatewayURL: sbSrv.URL + "/sandbox/gateway.do", SellerID: sb.SellerID(e.appID),
		Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.store, err = sqlite.Open(bg, filepath.Join(t.TempDir(), "f2fpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	var svcp atomic.Pointer[payment.Service]
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := svcp.Load().HandleNotification(r.Context(), string(body), r.RemoteAddr); err != nil {
			io.WriteString(w, "failure")
			return
		}
		io.WriteString(w, "success")
	}))
	t.Cleanup(gw.Close)
	e.svc = payment.NewService(e.store, ch, box, e.clock, payment.Config{PublicURL: gw.URL, ConfirmWithQuery: true,
		LatePayment: cfg.latePayment, CheckSchedule: cfg.schedule}, nil)
	svcp.Store(e.svc)
	url := e.recv.srv.URL + "/hook"
	if cfg.noEndpoint {
		url = ""
	}
	c, secret, err := e.svc.CreateClient(bg, "test", url)
	if err != nil {
		t.Fatal(err)
	}
	e.clientID, e.secret = c.AppID, secret
	return e
}

// create makes an order of 9.90 with the default timeout.
func (e *env) create(no string) *payment.Order {
	e.t.Helper()
	o, _, err := e.svc.Create(bg, e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 990, Subject: "worker test"})
	if err != nil {
		e.t.Fatalf("create %s: %v", no, err)
	}
	return o
}

// pay pays an order in the sandbox.
func (e *env) pay(no string) {
	e.t.Helper()
	if _, err := e.sb.Pay(e.appID, no, sandbox.OutcomeSuccess); err != nil {
		e.t.Fatalf("sandbox pay %s: %v", no, err)
	}
}

// order reads an order from the store.
func (e *env) order(no string) *payment.Order {
	e.t.Helper()
	o, err := e.store.GetOrder(bg, no)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// eventTypes lists the types of an order's events.
func (e *env) eventTypes(no string) []string {
	e.t.Helper()
	es, err := e.store.ListOrderEvents(bg, no)
	if err != nil {
		e.t.Fatal(err)
	}
	out := []string{}
	for _, ev := range es {
		out = append(out, ev.Type)
	}
	return out
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// hit is one webhook the receiver got.
type hit struct {
	ID, Timestamp, Signature string
	Body                     []byte
}

// receiver is a merchant webhook endpoint; status decides each answer (default 200).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hits   []hit
	status func(n int) int // n counts requests from 1
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: func(int) int { return http.StatusOK }}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, hit{req.Header.Get("X-F2FPay-Event-Id"), req.Header.Get("X-F2FPay-Timestamp"),
			req.Header.Get("X-F2FPay-Signature"), body})
		code := r.status(len(r.hits))
		r.mu.Unlock()
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d", code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setStatus(fn func(n int) int) { r.mu.Lock(); r.status = fn; r.mu.Unlock() }

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

// eventID returns the ID of the order's only event of typ.
func (e *env) eventID(no, typ string) string {
	e.t.Helper()
	es, _ := e.store.ListOrderEvents(bg, no)
	for _, ev := range es {
		if ev.Type == typ {
			return ev.ID
		}
	}
	e.t.Fatalf("no %s event for %s", typ, no)
	return ""
}

func decodeEvent(t *testing.T, body []byte) payment.EventObject {
	t.Helper()
	var ev payment.EventObject
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("webhook body %s: %v", body, err)
	}
	return ev
}
