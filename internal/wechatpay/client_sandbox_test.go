package wechatpay_test

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

func paymentAmount(fen int64) payment.Amount { return payment.Amount(fen) }

// Pay, notification, query, refund, refund query, refund notification, close.
func TestClientAgainstSandbox(t *testing.T) {
	e := setupEnv(t, 0)
	ctx := context.Background()
	url := e.order(t, "f2fe2e000001", 990)
	if again := e.order(t, "f2fe2e000001", 990); again != url {
		t.Fatalf("a repeated order gave another code_url")
	}
	tx, err := e.client.QueryByOutTradeNo(ctx, "f2fe2e000001")
	if err != nil || tx.State != wechatpay.TradeNotPay || tx.Total != 990 || tx.TransactionID != "" {
		t.Fatalf("before paying: %+v, %v", tx, err)
	}
	e.post(t, "/sandbox/wechat/api/pay", map[string]string{"code_url": url}, 200, nil)
	testutil.WaitFor(t, 0, "the payment notification", func() bool { return len(e.notifications(wechatpay.EventTransactionSuccess, "f2fe2e000001")) == 1 })
	n := e.notifications(wechatpay.EventTransactionSuccess, "f2fe2e000001")[0]
	if n.Transaction.State != wechatpay.TradeSuccess || n.Transaction.Total != 990 || n.Transaction.TransactionID == "" || n.Transaction.SuccessTime == nil {
		t.Fatalf("notified %+v", n.Transaction)
	}
	tx, err = e.client.QueryByOutTradeNo(ctx, "f2fe2e000001")
	if err != nil || tx.State != wechatpay.TradeSuccess || tx.TransactionID != n.Transaction.TransactionID || tx.PayerTotal != 990 {
		t.Fatalf("after paying: %+v, %v", tx, err)
	}
	wantError(t, e.client.CloseOrder(ctx, "f2fe2e000001"), wechatpay.OutcomeRejected, "ORDERPAID")

	req := wechatpay.RefundRequest{OutTradeNo: "f2fe2e000001", OutRefundNo: "f2fe2e000001-1", Refund: 300, Total: 990,
		Reason: "退货", NotifyURL: e.srv.URL + "/notify/wechat"}
	rf, err := e.client.CreateRefund(ctx, req)
	if err != nil || rf.Status != wechatpay.RefundProcessing || rf.Refund != 300 || rf.Total != 990 {
		t.Fatalf("refund: %+v, %v", rf, err)
	}
	if again, err := e.client.CreateRefund(ctx, req); err != nil || again.RefundID != rf.RefundID {
		t.Fatalf("repeated refund: %+v, %v", again, err)
	}
	req.Refund = 301
	_, err = e.client.CreateRefund(ctx, req)
	wantError(t, err, wechatpay.OutcomeRejected, "INVALID_REQUEST")
	testutil.WaitFor(t, 0, "the refund to settle", func() bool {
		q, err := e.client.QueryRefund(ctx, "f2fe2e000001", "f2fe2e000001-1")
		return err == nil && q.Status == wechatpay.RefundSuccess && q.SuccessTime != nil
	})
	testutil.WaitFor(t, 0, "the refund notification", func() bool { return len(e.notifications(wechatpay.EventRefundSuccess, "f2fe2e000001")) == 1 })
	if r := e.notifications(wechatpay.EventRefundSuccess, "f2fe2e000001")[0].Refund; r.Status != wechatpay.RefundSuccess || r.Refund != 300 || r.OutRefundNo != "f2fe2e000001-1" {
		t.Fatalf("refund notified %+v", r)
	}
	if tx, _ := e.client.QueryByOutTradeNo(ctx, "f2fe2e000001"); tx.State != wechatpay.TradeRefund {
		t.Fatalf("after a refund the trade is %s", tx.State)
	}
	_, err = e.client.QueryRefund(ctx, "f2fe2e000001", "no-such-refund")
	wantError(t, err, wechatpay.OutcomeRejected, "RESOURCE_NOT_EXISTS")

	e.order(t, "f2fe2e000002", 100)
	if err := e.client.CloseOrder(ctx, "f2fe2e000002"); err != nil {
		t.Fatal(err)
	}
	if err := e.client.CloseOrder(ctx, "f2fe2e000002"); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
	if tx, err := e.client.QueryByOutTradeNo(ctx, "f2fe2e000002"); err != nil || tx.State != wechatpay.TradeClosed {
		t.Fatalf("closed: %+v, %v", tx, err)
	}
	_, err = e.client.NativePrepay(ctx, wechatpay.NativeRequest{OutTradeNo: "f2fe2e000002", Description: "f2fpay 测试商品", Total: 100,
		NotifyURL: e.srv.URL + "/notify/wechat"})
	wantError(t, err, wechatpay.OutcomeRejected, "ORDER_CLOSED")
	_, err = e.client.QueryByOutTradeNo(ctx, "f2fe2e000404")
	wantError(t, err, wechatpay.OutcomeRejected, "ORDER_NOT_EXIST")
}

// Duplicated, dropped and forged notifications.
func TestNotificationFaultsAgainstSandbox(t *testing.T) {
	e := setupEnv(t, 0)
	pay := func(no string, f map[string]any) {
		e.post(t, "/sandbox/wechat/api/faults", f, 200, nil)
		url := e.order(t, no, 1)
		e.post(t, "/sandbox/wechat/api/pay", map[string]string{"code_url": url}, 200, nil)
	}
	pay("f2fdup000001", map[string]any{"seed": 1, "notify_duplicate": 1})
	testutil.WaitFor(t, 0, "both copies", func() bool { return len(e.notifications(wechatpay.EventTransactionSuccess, "f2fdup000001")) == 2 })
	dups := e.notifications(wechatpay.EventTransactionSuccess, "f2fdup000001")
	if dups[0].ID != dups[1].ID || dups[0].Transaction.TransactionID != dups[1].Transaction.TransactionID {
		t.Fatal("the copies differ")
	}

	pay("f2fdrop00001", map[string]any{"seed": 1, "notify_drop": 1})
	testutil.WaitFor(t, 0, "two dropped attempts", func() bool { return len(e.sb.Notifications("f2fdrop00001")) >= 2 })
	if len(e.notifications(wechatpay.EventTransactionSuccess, "f2fdrop00001")) != 0 {
		t.Fatal("a dropped notification arrived")
	}
	pay("f2fforged001", map[string]any{"seed": 1, "notify_bad_sign": 1})
	testutil.WaitFor(t, 0, "a forged notification refused", func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return len(e.refused) > 0
	})
	e.mu.Lock()
	refused := e.refused[0]
	e.mu.Unlock()
	if payment.ErrorCode(wechatpay.ToPayment(refused)) != payment.CodeUnauthorized {
		t.Fatalf("forged notification refused with %v", refused)
	}
	e.post(t, "/sandbox/wechat/api/faults", map[string]any{}, 200, nil)
	testutil.WaitFor(t, 0, "the dropped and the forged notification, retried", func() bool {
		return len(e.notifications(wechatpay.EventTransactionSuccess, "f2fdrop00001")) == 1 &&
			len(e.notifications(wechatpay.EventTransactionSuccess, "f2fforged001")) == 1
	})
}

// Gateway faults reach the caller as the right outcome.
func TestGatewayFaultsAgainstSandbox(t *testing.T) {
	e := setupEnv(t, 300*time.Millisecond)
	ctx := context.Background()
	nreq := func(no string) wechatpay.NativeRequest {
		return wechatpay.NativeRequest{OutTradeNo: no, Description: "x", Total: 1, NotifyURL: e.srv.URL + "/notify/wechat"}
	}
	e.sb.SetFaults(wechatFaults(map[string]any{"seed": 3, "gateway_system_error": 1}))
	for _, no := range []string{"f2fsys000001", "f2fsys000002", "f2fsys000003"} {
		_, err := e.client.NativePrepay(ctx, nreq(no))
		var we *wechatpay.Error
		if !errorsAs(err, &we) || !we.Unknown() {
			t.Fatalf("system error: %v", err)
		}
	}
	e.sb.SetFaults(wechatFaults(map[string]any{"gateway_system_error_applied": 1, "methods": []string{"native"}}))
	_, err := e.client.NativePrepay(ctx, nreq("f2fapplied01"))
	wantError(t, err, wechatpay.OutcomeUnknown, "SYSTEM_ERROR")
	if tx, err := e.client.QueryByOutTradeNo(ctx, "f2fapplied01"); err != nil || tx.State != wechatpay.TradeNotPay {
		t.Fatalf("the applied order: %+v, %v", tx, err)
	}
	e.sb.SetFaults(wechatFaults(map[string]any{"gateway_timeout": 1, "methods": []string{"close"}}))
	var we *wechatpay.Error
	if err := e.client.CloseOrder(ctx, "f2fapplied01"); !errorsAs(err, &we) || !we.Unknown() || we.Status != 0 {
		t.Fatalf("timeout: %v", err)
	}
	e.sb.ClearFaults()
	if tx, _ := e.client.QueryByOutTradeNo(ctx, "f2fapplied01"); tx.State != wechatpay.TradeClosed {
		t.Fatalf("the timed-out close was applied? state %s", tx.State)
	}
	url := e.order(t, "f2fnotenough", 50)
	e.post(t, "/sandbox/wechat/api/pay", map[string]string{"code_url": url}, 200, nil)
	e.sb.SetFaults(wechatFaults(map[string]any{"gateway_reject": 1, "gateway_reject_code": "NOT_ENOUGH", "methods": []string{"refund"}}))
	_, err = e.client.CreateRefund(ctx, wechatpay.RefundRequest{OutTradeNo: "f2fnotenough", OutRefundNo: "ne-1", Refund: 50, Total: 50})
	wantError(t, err, wechatpay.OutcomeRejected, "NOT_ENOUGH")
	if payment.ErrorCode(wechatpay.ToPayment(err)) != payment.CodeUpstreamRejected {
		t.Fatal("NOT_ENOUGH does not fold to UPSTREAM_REJECTED")
	}
}
