package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"

	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
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

// env is a real gateway core in process: SQLite in a temp dir, the sandbox on httptest, the
// alipay channel, the Service with its notify endpoint, a client and a webhook receiver.
type env struct {
	t        *testing.T
	clock    payment.Clock
	store    *sqlite.Store
	svc      *payment.Service
	sb       *sandbox.Sandbox
	ch       *alipay.Channel
	appID    string
	clientID string
	secret   string
	// webhookSecret (whsec_…) signs the client's webhooks.
	webhookSecret string
	recv          *receiver
	wx            *testenv.Env // with envConfig.wechat: WeChatSandbox, WeChatURL, WeChatMchID
}

type envConfig struct {
	clock       payment.Clock // nil: system clock
	latePayment string
	schedule    []time.Duration
	noEndpoint  bool // the client gets no webhook URL
	wechat      bool // add the WeChat Pay channel and its sandbox (e.wx)
}

func newEnv(t *testing.T, cfg envConfig) *env {
	t.Helper()
	e := &env{t: t, clock: cfg.clock, recv: newReceiver(t)}
	if e.clock == nil {
		e.clock = payment.SystemClock{}
	}
	st := testenv.New(t, testenv.Options{Clock: e.clock, Config: payment.Config{ConfirmWithQuery: true, WebhookAllowNetworks: payment.LoopbackNetworks(),
		LatePayment: cfg.latePayment, CheckSchedule: cfg.schedule}, WeChat: cfg.wechat})
	if cfg.wechat {
		e.wx = st
	}
	e.store, e.svc, e.sb, e.ch, e.appID = st.Store, st.Service, st.Sandbox, st.Channel, st.AppID
	url := e.recv.srv.URL + "/hook"
	if cfg.noEndpoint {
		url = ""
	}
	c, secrets, err := e.svc.CreateMerchantWithSecrets(bg, "test", url)
	if err != nil {
		t.Fatal(err)
	}
	e.clientID, e.secret, e.webhookSecret = c.AppID, secrets.API, secrets.Webhook
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

// waitFor waits for cond with testutil's generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, 0, what, cond)
}

// hit is one webhook the receiver got.
type hit struct {
	ID, Timestamp, Signature string
	Body                     []byte
	TraceParent              string
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
			req.Header.Get("X-F2FPay-Signature"), body, req.Header.Get("Traceparent")})
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
