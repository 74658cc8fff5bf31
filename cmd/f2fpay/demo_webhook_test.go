package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestWebhookDeadThenResend: a receiver that never answers 2xx gets the first attempt and
// every retry of the (compressed) schedule, then nothing more: the delivery is dead. A
// resend through the merchant API then delivers the same event, same body, once the
// receiver is back. Not parallel: it sets the webhook schedule in the environment.
func TestWebhookDeadThenResend(t *testing.T) {
	t.Setenv("F2FPAY_WEBHOOK_SCHEDULE", "100ms,200ms")
	var up atomic.Bool
	var mu sync.Mutex
	var bodies []string
	var ids []string
	var signed []http.Header
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, ids = append(bodies, string(b)), append(ids, r.Header.Get("X-F2FPay-Event-Id"))
		signed = append(signed, r.Header.Clone())
		mu.Unlock()
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer recv.Close()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(ids) }

	p := runDemoForTest(t, t.TempDir())
	ctx := context.Background()
	o, _, err := p.api.Create(ctx, client.CreateRequest{OutTradeNo: "hook_1", TotalAmount: "4.00", Subject: "s", NotifyURL: recv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p.pay(o.OutTradeNo)
	p.waitStatus(o.OutTradeNo, "paid")
	testutil.Eventually(0, func() bool { return count() >= 3 })
	time.Sleep(time.Second) // a dead delivery is not retried again
	if n := count(); n != 3 {
		t.Fatalf("the failing receiver got %d attempts; want 3 (first + 2 retries), then none", n)
	}

	list, err := p.api.Events(ctx, 0, 50)
	if err != nil || len(list.Data) != 1 || list.Data[0].Type != "payment.succeeded" {
		t.Fatalf("events: %+v, %v", list, err)
	}
	up.Store(true)
	if _, err := p.api.Resend(ctx, list.Data[0].ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(0, func() bool { return count() >= 4 })
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 4 || ids[3] != list.Data[0].ID || bodies[3] != bodies[0] {
		t.Fatalf("after resend: %d deliveries, last id %q body equal %v", len(ids), ids[len(ids)-1], bodies[len(bodies)-1] == bodies[0])
	}
	for i, h := range signed { // demo.json's webhook_secret verifies each; the API secret none
		ts, sig := h.Get("X-F2FPay-Timestamp"), h.Get("X-F2FPay-Signature")
		if client.VerifyWebhook(p.state.WebhookSecret, ts, sig, []byte(bodies[i])) != nil ||
			client.VerifyWebhook(p.state.Secret, ts, sig, []byte(bodies[i])) == nil {
			t.Fatalf("delivery %d: %q does not verify with demo.json's webhook_secret alone", i+1, sig)
		}
	}
	t.Logf("dead after %d attempts; resend through the API delivered %s with the same body", 3, ids[3])
	if _, err := p.api.Resend(ctx, "evt_nosuchevent"); client.ErrorCode(err) != "NOT_FOUND" {
		t.Fatalf("resend of an unknown event: %v", err)
	}
}
