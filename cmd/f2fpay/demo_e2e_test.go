package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/f2fpay/f2fpay/client"

	"github.com/f2fpay/f2fpay/internal/testbin"
)

// TestEndToEnd runs the real program and walks one order through the merchant API:
// create, idempotent repeat, conflict, payment by notification, refunds, closes.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	p := runDemoForTest(t, t.TempDir())
	ctx := context.Background()

	first := mustCreate(t, p, "e2e_order_1", "10.00")
	again, created, err := p.api.Create(ctx, client.CreateRequest{OutTradeNo: "e2e_order_1", TotalAmount: "10.00", Subject: "测试商品 e2e_order_1"})
	if err != nil || created || again.QRCode != first.QRCode || again.CashierURL != first.CashierURL {
		t.Fatalf("identical repeat: created=%v err=%v qr %q vs %q", created, err, again.QRCode, first.QRCode)
	}
	_, _, err = p.api.Create(ctx, client.CreateRequest{OutTradeNo: "e2e_order_1", TotalAmount: "11.00", Subject: "测试商品 e2e_order_1"})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 409 || apiErr.Code != "CONFLICT" {
		t.Fatalf("other amount: err = %v; want 409 CONFLICT", err)
	}

	if code := p.pay("e2e_order_1"); code != 200 {
		t.Fatalf("sandbox pay: %d", code)
	}
	paid := p.waitStatus("e2e_order_1", "paid")
	st := p.sandboxTrade("e2e_order_1")
	if !regexp.MustCompile(`^\d{28}$`).MatchString(paid.TradeNo) || paid.TradeNo != st.TradeNo || paid.PaidAt == nil {
		t.Fatalf("paid order trade_no %q (sandbox %q), paid_at %v", paid.TradeNo, st.TradeNo, paid.PaidAt)
	}
	if n := p.events("e2e_order_1", "payment.succeeded"); n != 1 {
		t.Fatalf("payment.succeeded events = %d; want 1", n)
	}

	r1, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "e2e_order_1", RefundNo: "r1", RefundAmount: "1.00"})
	if err != nil || r1.Status != "succeeded" {
		t.Fatalf("refund r1: %+v, %v", r1, err)
	}
	r2, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "e2e_order_1", RefundNo: "r2", RefundAmount: "1.00"})
	if err != nil || r2.Status != "succeeded" {
		t.Fatalf("refund r2: %+v, %v", r2, err)
	}
	r1again, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "e2e_order_1", RefundNo: "r1", RefundAmount: "1.00"})
	if err != nil || mustJSON(t, r1again) != mustJSON(t, r1) {
		t.Fatalf("repeat of r1 = %+v, %v; want the same answer %+v", r1again, err, r1)
	}
	_, err = p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "e2e_order_1", RefundNo: "r3", RefundAmount: "8.01"})
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || apiErr.Code != "UNPROCESSABLE" {
		t.Fatalf("over-refund: err = %v; want 422 UNPROCESSABLE", err)
	}
	after, _ := p.api.Query(ctx, "e2e_order_1", client.QueryOptions{})
	if after.Status != "paid" || after.RefundedAmount != "2.00" {
		t.Fatalf("after refunds: status %s refunded %s; want paid 2.00", after.Status, after.RefundedAmount)
	}
	if st := p.sandboxTrade("e2e_order_1"); st.RefundedAmount != "2.00" {
		t.Fatalf("sandbox refunded %s; want 2.00", st.RefundedAmount)
	}
	if n := p.events("e2e_order_1", "refund.succeeded"); n != 2 {
		t.Fatalf("refund.succeeded events = %d; want 2", n)
	}

	mustCreate(t, p, "e2e_order_2", "3.50")
	closed, err := p.api.Close(ctx, "e2e_order_2")
	if err != nil || closed.Status != "closed" || closed.ClosedAt == nil {
		t.Fatalf("close pending: %+v, %v", closed, err)
	}
	if code := p.pay("e2e_order_2"); code == 200 {
		t.Fatal("the sandbox let the buyer pay a closed order's QR")
	}
	if st := p.sandboxTrade("e2e_order_2"); st.QRActive {
		t.Fatal("the sandbox still shows the closed order's QR active")
	}
	if n := p.events("e2e_order_2", "payment.closed"); n != 1 {
		t.Fatalf("payment.closed events = %d; want 1", n)
	}
	_, err = p.api.Close(ctx, "e2e_order_1")
	if !errors.As(err, &apiErr) || apiErr.Status != 409 {
		t.Fatalf("close of a paid order: err = %v; want 409", err)
	}
}

// TestSyncWithoutNotification: with the sandbox delivering no notification, query?sync=true
// asks Alipay, finds the payment and records it with its one event.
func TestSyncWithoutNotification(t *testing.T) {
	t.Parallel()
	p := runDemoForTest(t, t.TempDir())
	ctx := context.Background()
	if code := p.sandbox("POST", "/sandbox/api/faults", map[string]any{"seed": 1, "notify_drop": 1.0}, nil); code != 200 {
		t.Fatalf("set faults: %d", code)
	}
	mustCreate(t, p, "sync_1", "9.90")
	if code := p.pay("sync_1"); code != 200 {
		t.Fatalf("pay: %d", code)
	}
	local, _ := p.api.Query(ctx, "sync_1", client.QueryOptions{})
	if local.Status != "pending" {
		t.Fatalf("without a notification the local order is %s; want pending", local.Status)
	}
	for i := 0; i < 3; i++ {
		o, err := p.api.Query(ctx, "sync_1", client.QueryOptions{Sync: true})
		if err != nil || o.Status != "paid" || o.TradeNo == "" {
			t.Fatalf("sync query %d: %+v, %v", i, o, err)
		}
	}
	if n := p.events("sync_1", "payment.succeeded"); n != 1 {
		t.Fatalf("payment.succeeded events = %d; want 1", n)
	}
}

// TestConcurrentRefunds: 30 concurrent refunds of 1.00 on a 10.00 order; exactly 10 succeed.
func TestConcurrentRefunds(t *testing.T) {
	t.Parallel()
	p := runDemoForTest(t, t.TempDir())
	ctx := context.Background()
	mustCreate(t, p, "conc_1", "10.00")
	p.pay("conc_1")
	p.waitStatus("conc_1", "paid")

	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "conc_1", RefundNo: fmt.Sprintf("c%02d", i), RefundAmount: "1.00"})
			key := errCode(err)
			if err == nil {
				key = r.Status
			}
			mu.Lock()
			outcomes[key]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	t.Logf("30 concurrent refunds of 1.00 on 10.00: %v", outcomes)
	if outcomes["succeeded"] != 10 || outcomes["UNPROCESSABLE"] != 20 {
		t.Fatalf("outcomes %v; want 10 succeeded and 20 UNPROCESSABLE", outcomes)
	}
	o, _ := p.api.Query(ctx, "conc_1", client.QueryOptions{})
	if o.Status != "refunded" || o.RefundedAmount != "10.00" {
		t.Fatalf("order %s refunded %s; want refunded 10.00", o.Status, o.RefundedAmount)
	}
	if st := p.sandboxTrade("conc_1"); st.RefundedAmount != "10.00" || st.Status != "TRADE_CLOSED" {
		t.Fatalf("sandbox: %s refunded %s; want TRADE_CLOSED 10.00", st.Status, st.RefundedAmount)
	}
}

// TestRestartKeepsData: orders, events and credentials survive a restart on the same data
// dir; migrations run again are a no-op.
func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := runDemoForTest(t, dir)
	mustCreate(t, p, "keep_1", "1.23")
	p.pay("keep_1")
	p.waitStatus("keep_1", "paid")
	before := p.state
	p.stop()

	for i := 0; i < 2; i++ {
		var out, errOut testbin.Buffer
		if code := run(context.Background(), []string{"migrate", "--data-dir", dir}, &out, &errOut); code != 0 {
			t.Fatalf("migrate: %d %s", code, errOut.String())
		}
		if !strings.Contains(out.String(), "migrations applied: 0") {
			t.Fatalf("migrate on a migrated database printed %q", out.String())
		}
	}

	q := runDemoForTest(t, dir)
	if q.state.AppID != before.AppID || q.state.Secret != before.Secret || q.state.AdminPassword != before.AdminPassword ||
		before.WebhookSecret == "" || q.state.WebhookSecret != before.WebhookSecret {
		t.Fatal("credentials changed across a restart")
	}
	o := q.waitStatus("keep_1", "paid")
	if o.TotalAmount != "1.23" || o.TradeNo == "" {
		t.Fatalf("after restart: %+v", o)
	}
	if n := q.events("keep_1", "payment.succeeded"); n != 1 {
		t.Fatalf("payment.succeeded events after restart = %d; want 1", n)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
