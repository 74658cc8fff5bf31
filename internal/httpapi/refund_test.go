package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// TestPayRefundClose drives one order through the merchant API while the simulator pays it
// and notifies POST /notify/alipay on the same server.
func TestPayRefundClose(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if _, _, err := b.client.Create(ctx, createReq("F1", "10.00")); err != nil {
		t.Fatal(err)
	}
	// Refund before payment: UNPROCESSABLE.
	_, err := b.client.Refund(ctx, client.RefundRequest{OutTradeNo: "F1", RefundNo: "R0", RefundAmount: "1.00"})
	wantClientError(t, err, http.StatusUnprocessableEntity, client.CodeUnprocessable)

	if _, err := b.sb.Pay(alipayAppID, "F1", sandbox.OutcomeSuccess); err != nil {
		t.Fatal(err)
	}
	b.waitStatus(t, "F1", payment.StatusPaid)
	b.waitNotified(t, "F1")
	p, err := b.client.Query(ctx, "F1", client.QueryOptions{})
	if err != nil || p.Status != client.StatusPaid || p.TradeNo == "" || p.PaidAt == nil {
		t.Fatalf("after notify: %v %+v", err, p)
	}

	r, err := b.client.Refund(ctx, client.RefundRequest{OutTradeNo: "F1", RefundNo: "R1", RefundAmount: "1.00", Reason: "broken"})
	if err != nil || r.Status != client.RefundSucceeded || r.RefundAmount != "1.00" || r.Reason != "broken" || r.SucceededAt == nil {
		t.Fatalf("refund: %v %+v", err, r)
	}
	again, err := b.client.Refund(ctx, client.RefundRequest{OutTradeNo: "F1", RefundNo: "R1", RefundAmount: "1.00", Reason: "broken"})
	if err != nil || again.RefundNo != "R1" || again.Status != client.RefundSucceeded {
		t.Fatalf("repeat refund: %v %+v", err, again)
	}
	_, err = b.client.Refund(ctx, client.RefundRequest{OutTradeNo: "F1", RefundNo: "R1", RefundAmount: "2.00", Reason: "broken"})
	wantClientError(t, err, http.StatusConflict, client.CodeConflict)
	_, err = b.client.Refund(ctx, client.RefundRequest{OutTradeNo: "F1", RefundNo: "R2", RefundAmount: "9.01"})
	wantClientError(t, err, http.StatusUnprocessableEntity, client.CodeUnprocessable)
	_, err = b.client.Refund(ctx, client.RefundRequest{OutTradeNo: "F1", RefundNo: "R2", RefundAmount: "1.005"})
	wantClientError(t, err, http.StatusBadRequest, client.CodeInvalidParameter)
	_, err = b.client.Refund(ctx, client.RefundRequest{OutTradeNo: "NOPE", RefundNo: "R2", RefundAmount: "1.00"})
	wantClientError(t, err, http.StatusNotFound, client.CodeNotFound)

	got, err := b.client.RefundQuery(ctx, "F1", "R1")
	if err != nil || got.RefundNo != "R1" || got.OutTradeNo != "F1" || got.Status != client.RefundSucceeded {
		t.Fatalf("refund query: %v %+v", err, got)
	}
	_, err = b.client.RefundQuery(ctx, "F1", "R9")
	wantClientError(t, err, http.StatusNotFound, client.CodeNotFound)
	if p, _ = b.client.Query(ctx, "F1", client.QueryOptions{}); p.RefundedAmount != "1.00" || p.Status != client.StatusPaid {
		t.Fatalf("after refund %+v", p)
	}

	// Close of a paid order: CONFLICT. Close of a pending one: closed, and again: same.
	_, err = b.client.Close(ctx, "F1")
	wantClientError(t, err, http.StatusConflict, client.CodeConflict)
	if _, _, err := b.client.Create(ctx, createReq("F2", "3.00")); err != nil {
		t.Fatal(err)
	}
	closed, err := b.client.Close(ctx, "F2")
	if err != nil || closed.Status != client.StatusClosed || closed.ClosedAt == nil {
		t.Fatalf("close: %v %+v", err, closed)
	}
	if _, err := b.sb.Pay(alipayAppID, "F2", sandbox.OutcomeSuccess); err == nil {
		t.Fatal("the simulator still lets the closed order's QR be paid")
	}
	if closed, err = b.client.Close(ctx, "F2"); err != nil || closed.Status != client.StatusClosed {
		t.Fatalf("close again: %v %+v", err, closed)
	}
	_, err = b.client.Close(ctx, "NOPE")
	wantClientError(t, err, http.StatusNotFound, client.CodeNotFound)
	wantError(t, b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/close", body: []byte(`{}`)}),
		http.StatusBadRequest, "INVALID_PARAMETER", "out_trade_no is required")

	checkEvents(t, b, []string{client.EventPaymentSucceeded, client.EventRefundSucceeded, client.EventPaymentClosed})
}

// checkEvents reads the client's events one by one and all at once.
func checkEvents(t *testing.T, b *testBundle, want []string) {
	t.Helper()
	ctx := context.Background()
	all, err := b.client.Events(ctx, 0, 0)
	if err != nil || len(all.Data) != len(want) || all.HasMore {
		t.Fatalf("events: %v %+v", err, all)
	}
	var after int64
	for i, typ := range want {
		page, err := b.client.Events(ctx, after, 1)
		if err != nil || len(page.Data) != 1 || page.Data[0].Type != typ || page.HasMore != (i < len(want)-1) {
			t.Fatalf("event %d: %v %+v", i, err, page)
		}
		ev := page.Data[0]
		if ev.ID != all.Data[i].ID || ev.CreatedAt.IsZero() {
			t.Fatalf("event %d differs: %+v vs %+v", i, ev, all.Data[i])
		}
		switch typ {
		case client.EventRefundSucceeded:
			if r, err := ev.Refund(); err != nil || r.RefundNo != "R1" {
				t.Fatalf("refund event data: %v %+v", err, r)
			}
		default:
			if p, err := ev.Payment(); err != nil || p.OutTradeNo == "" {
				t.Fatalf("payment event data: %v %+v", err, p)
			}
		}
		after = page.NextAfter
	}
	end, err := b.client.Events(ctx, after, 10)
	if err != nil || len(end.Data) != 0 || end.HasMore || end.NextAfter != after {
		t.Fatalf("events at the end: %v %+v", err, end)
	}
	for _, q := range []string{"after=-1", "limit=201", "limit=0", "after=x"} {
		wantError(t, b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/events", query: q}),
			http.StatusBadRequest, "INVALID_PARAMETER", "")
	}
}

// TestConcurrentRefunds: 30 concurrent 1.00 refunds of a 10.00 order through the API, each
// with its own refund_no: exactly 10 succeed, the rest are UNPROCESSABLE.
func TestConcurrentRefunds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if _, _, err := b.client.Create(ctx, createReq("C1", "10.00")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.sb.Pay(alipayAppID, "C1", sandbox.OutcomeSuccess); err != nil {
		t.Fatal(err)
	}
	if p, err := b.client.Query(ctx, "C1", client.QueryOptions{Sync: true}); err != nil || p.Status != client.StatusPaid {
		t.Fatalf("sync: %v %+v", err, p)
	}
	var wg sync.WaitGroup
	results := make([]error, 30)
	for i := range results {
		wg.Go(func() {
			_, results[i] = b.client.Refund(ctx, client.RefundRequest{OutTradeNo: "C1", RefundNo: fmt.Sprintf("CR%02d", i), RefundAmount: "1.00"})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch client.ErrorCode(err) {
		case "":
			if err != nil {
				t.Fatalf("transport: %v", err)
			}
			ok++
		case client.CodeUnprocessable:
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	p, err := b.client.Query(ctx, "C1", client.QueryOptions{})
	if ok != 10 || err != nil || p.RefundedAmount != "10.00" || p.Status != client.StatusRefunded {
		t.Fatalf("%d refunds succeeded; order %v %+v", ok, err, p)
	}
}
