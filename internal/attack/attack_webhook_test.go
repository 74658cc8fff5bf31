package attack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/f2fpay/f2fpay/internal/worker"
)

// hookEnv is the gateway core in process (real SQLite, the sandbox, the real channel)
// with a merchant's receiver listening on 127.0.0.1 and one paid order whose
// payment.succeeded event waits to be delivered to a webhook URL of the attacker's choice.
type hookEnv struct {
	env      *testenv.Env
	hits     atomic.Int64
	port     string
	clientID string
	secrets  payment.Secrets // the client's API and webhook secrets
	eventID  string
}

var hookSeq atomic.Int64

// newHookEnv starts the receiver (handler nil: answer 200) and creates the client with the
// webhook URL hook(port) and its paid order.
func newHookEnv(t *testing.T, cfg payment.Config, handler http.Handler, hook func(port string) string) *hookEnv {
	t.Helper()
	h := &hookEnv{}
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h.hits.Add(1)
		if handler != nil {
			handler.ServeHTTP(rw, r)
		}
	}))
	t.Cleanup(recv.Close)
	_, h.port, _ = net.SplitHostPort(recv.Listener.Addr().String())
	h.env = testenv.New(t, testenv.Options{Config: cfg})
	ctx, svc := context.Background(), h.env.Service
	c, secrets, err := svc.CreateMerchantWithSecrets(ctx, "ssrf", hook(h.port))
	if err != nil {
		t.Fatalf("client with webhook %s: %v", hook(h.port), err)
	}
	h.clientID, h.secrets = c.AppID, secrets
	no := fmt.Sprintf("atk_hook_%d", hookSeq.Add(1))
	if _, _, err := svc.Create(ctx, c.AppID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 100, Subject: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.env.Sandbox.Pay(h.env.AppID, no, sandbox.OutcomeSuccess); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sync(ctx, no); err != nil {
		t.Fatal(err)
	}
	// The sandbox's own notification of the payment is answered before deliver wires the
	// dispatcher to the Service, as f2fpay wires it before it serves.
	testutil.WaitFor(t, 0, "the sandbox's notification of the payment answered", func() bool {
		return h.env.Sandbox.NotifyIdle(time.Hour)
	})
	events, err := h.env.Store.ListOrderEvents(ctx, no)
	if err != nil || len(events) != 1 {
		t.Fatalf("events of %s: %v %v", no, events, err)
	}
	h.eventID = events[0].ID
	return h
}

// deliver runs the real dispatcher until it has made one attempt and describes it:
// whether the receiver got the POST, and what the attempt recorded.
func (h *hookEnv) deliver(t *testing.T, cfg worker.DispatcherConfig) string {
	t.Helper()
	d := worker.NewDispatcher(h.env.Service, cfg)
	d.Start(context.Background())
	var attempts []*payment.DeliveryAttempt
	testutil.WaitFor(t, 0, "one webhook attempt", func() bool {
		_, _, attempts, _ = h.env.Service.EventDelivery(context.Background(), h.clientID, h.eventID)
		return len(attempts) > 0
	})
	d.Stop()
	a := attempts[0]
	t.Logf("webhook attempt: url %s, status %d, error %q, receiver POSTs %d", a.URL, a.StatusCode, a.Error, h.hits.Load())
	switch {
	case a.Error == "":
		return fmt.Sprintf("delivered (%d POST)", h.hits.Load())
	case h.hits.Load() > 0 && a.StatusCode >= 300 && a.StatusCode < 400:
		return fmt.Sprintf("HTTP %d, not followed; receiver got %d POST", a.StatusCode, h.hits.Load())
	case h.hits.Load() > 0:
		return fmt.Sprintf("reached the receiver (%d POSTs): %s", h.hits.Load(), a.Error)
	case strings.Contains(a.Error, "refused to dial"):
		return "refused at dial; receiver got 0 POSTs"
	}
	return "failed: " + a.Error
}

// localhostWebhook: a host name (not an IP literal, so accepted at create time) that the
// system resolver maps to 127.0.0.1, on a gateway that has not opted loopback in.
func localhostWebhook(w *world) string {
	h := newHookEnv(w.t, payment.Config{}, nil, func(port string) string { return "http://localhost:" + port + "/hook" })
	return h.deliver(w.t, worker.DispatcherConfig{})
}
