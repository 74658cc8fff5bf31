package wechatpay_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

func wantCode(t *testing.T, err error, code payment.Code) *payment.Error {
	t.Helper()
	var pe *payment.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return pe
}

// The adapter maps WeChat Pay's states and errors onto the core's port, against the
// simulator: precreate, query before and after paying, close of a paid order, refund
// (PROCESSING, then SUCCESS), unknown refunds, and the notifications it verifies.
func TestChannelAgainstSandbox(t *testing.T) {
	e := setupEnv(t, 0)
	ch := wechatpay.NewChannel(e.client, e.srv.URL+"/notify/wechat")
	ctx := context.Background()
	var _ payment.Channel = ch
	var _ payment.HTTPNotificationVerifier = ch
	if ch.AppID() != e2eAppID || ch.SellerID() != e2eMchID {
		t.Fatalf("ids %s %s", ch.AppID(), ch.SellerID())
	}

	if tr, err := ch.Query(ctx, "f2fchan00404"); err != nil || tr.Status != payment.TradeNotExist {
		t.Fatalf("unknown order: %+v %v", tr, err)
	}
	req := payment.PrecreateRequest{OutTradeNo: "f2fchan00001", TotalAmount: 990, Subject: "测试商品",
		ExpiresAt: time.Now().Add(time.Hour), NotifyURL: "http://ignored.example/notify/alipay"}
	code, err := ch.Precreate(ctx, req)
	if err != nil || code == "" {
		t.Fatalf("precreate: %q %v", code, err)
	}
	if again, err := ch.Precreate(ctx, req); err != nil || again != code {
		t.Fatalf("repeated precreate: %q %v", again, err)
	}
	if tr, err := ch.Query(ctx, "f2fchan00001"); err != nil || tr.Status != payment.TradeWaitBuyerPay || tr.TotalAmount != 990 || tr.PaidAt != nil {
		t.Fatalf("unpaid: %+v %v", tr, err)
	}
	// A refund of an unpaid order is refused before anything is sent.
	_, err = ch.Refund(ctx, payment.RefundRequest{OutTradeNo: "f2fchan00001", RefundNo: "r1", Amount: 100})
	wantCode(t, err, payment.CodeUpstreamRejected)

	e.post(t, "/sandbox/wechat/api/pay", map[string]string{"code_url": code}, 200, nil)
	testutil.WaitFor(t, 0, "the payment notification", func() bool {
		return len(e.notifications(wechatpay.EventTransactionSuccess, "f2fchan00001")) >= 1
	})
	tr, err := ch.Query(ctx, "f2fchan00001")
	if err != nil || tr.Status != payment.TradeSuccess || tr.TradeNo == "" || tr.PaidAt == nil || tr.BuyerID == "" {
		t.Fatalf("paid: %+v %v", tr, err)
	}
	pe := wantCode(t, ch.Close(ctx, "f2fchan00001"), payment.CodeUpstreamRejected)
	if pe.AlipaySubCode != "ACQ.TRADE_STATUS_ERROR" {
		t.Fatalf("close of a paid order: %+v", pe)
	}

	// The notification, as received, maps onto the port's.
	e.mu.Lock()
	raw := e.raw[0]
	e.mu.Unlock()
	n, err := ch.VerifyHTTPNotification(raw.header, raw.body)
	if err != nil || n.OutTradeNo != "f2fchan00001" || n.TradeStatus != payment.TradeSuccess || n.TotalAmount != 990 ||
		n.TradeNo != tr.TradeNo || n.AppID != e2eAppID || n.SellerID != e2eMchID || n.GmtPayment == nil || n.HasRefund {
		t.Fatalf("notification: %+v %v", n, err)
	}
	forged := raw.header.Clone()
	forged.Set("Wechatpay-Timestamp", forged.Get("Wechatpay-Timestamp")+"1")
	_, err = ch.VerifyHTTPNotification(forged, raw.body)
	wantCode(t, err, payment.CodeUnauthorized)
	_, err = ch.VerifyNotification(url.Values{"out_trade_no": {"f2fchan00001"}})
	wantCode(t, err, payment.CodeInvalidParameter)

	rreq := payment.RefundRequest{OutTradeNo: "f2fchan00001", RefundNo: "f2fchan00001-r1", Amount: 300, Reason: "退货"}
	res, err := ch.Refund(ctx, rreq)
	if err != nil || !res.Found || res.Succeeded || !res.Accepted || res.Amount != 300 {
		t.Fatalf("refund: %+v %v", res, err)
	}
	if res, err := ch.Refund(ctx, rreq); err != nil || res.Amount != 300 {
		t.Fatalf("repeated refund: %+v %v", res, err)
	}
	rreq.Amount = 301
	_, err = ch.Refund(ctx, rreq)
	wantCode(t, err, payment.CodeUpstreamRejected)
	testutil.WaitFor(t, 0, "the refund to succeed", func() bool {
		res, err := ch.RefundQuery(ctx, "f2fchan00001", "f2fchan00001-r1")
		return err == nil && res.Found && res.Succeeded && res.SucceededAt != nil && res.Amount == 300
	})
	if res, err := ch.RefundQuery(ctx, "f2fchan00001", "no-such-refund"); err != nil || res.Found {
		t.Fatalf("unknown refund: %+v %v", res, err)
	}
	testutil.WaitFor(t, 0, "the refund notification", func() bool {
		return len(e.notifications(wechatpay.EventRefundSuccess, "f2fchan00001")) >= 1
	})
	var refundRaw rawNotification
	e.mu.Lock()
	for _, r := range e.raw {
		if n, err := e.client.ParseNotification(r.header, r.body); err == nil && n.EventType == wechatpay.EventRefundSuccess {
			refundRaw = r
		}
	}
	e.mu.Unlock()
	n, err = ch.VerifyHTTPNotification(refundRaw.header, refundRaw.body)
	if err != nil || !n.HasRefund || n.OutBizNo != "f2fchan00001-r1" || n.OutTradeNo != "f2fchan00001" || n.TotalAmount != 990 || n.GmtRefund == nil {
		t.Fatalf("refund notification: %+v %v", n, err)
	}
	// After a refund WeChat Pay's state is REFUND: still paid for the core.
	if tr, err := ch.Query(ctx, "f2fchan00001"); err != nil || tr.Status != payment.TradeSuccess {
		t.Fatalf("refunded trade: %+v %v", tr, err)
	}

	// Closing an unpaid order, twice; then it queries closed.
	req.OutTradeNo = "f2fchan00002"
	if _, err := ch.Precreate(ctx, req); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := ch.Close(ctx, "f2fchan00002"); err != nil {
			t.Fatalf("close %d: %v", i, err)
		}
	}
	if tr, err := ch.Query(ctx, "f2fchan00002"); err != nil || tr.Status != payment.TradeClosed || tr.PaidAt != nil {
		t.Fatalf("closed: %+v %v", tr, err)
	}
	_, err = ch.Precreate(ctx, req)
	wantCode(t, err, payment.CodeUpstreamRejected)
}

// Unknown outcomes are UPSTREAM_UNAVAILABLE and refusals UPSTREAM_REJECTED.
func TestChannelErrorsAgainstSandbox(t *testing.T) {
	e := setupEnv(t, 500*time.Millisecond)
	ch := wechatpay.NewChannel(e.client, e.srv.URL+"/notify/wechat")
	ctx := context.Background()
	req := payment.PrecreateRequest{OutTradeNo: "f2fchanerr01", TotalAmount: 100, Subject: "s", ExpiresAt: time.Now().Add(time.Hour)}

	e.post(t, "/sandbox/wechat/api/faults", map[string]any{"seed": 7, "gateway_system_error": 1}, 200, nil)
	_, err := ch.Precreate(ctx, req)
	wantCode(t, err, payment.CodeUpstreamUnavailable)
	_, err = ch.Query(ctx, "f2fchanerr01")
	wantCode(t, err, payment.CodeUpstreamUnavailable)

	e.post(t, "/sandbox/wechat/api/faults", map[string]any{"seed": 7, "gateway_timeout": 1, "methods": []string{"native"}}, 200, nil)
	_, err = ch.Precreate(ctx, req)
	wantCode(t, err, payment.CodeUpstreamUnavailable)

	e.post(t, "/sandbox/wechat/api/faults", map[string]any{"seed": 7, "gateway_reject": 1, "gateway_reject_code": "NO_AUTH"}, 200, nil)
	_, err = ch.Precreate(ctx, req)
	wantCode(t, err, payment.CodeUpstreamRejected)
	e.post(t, "/sandbox/wechat/api/faults", map[string]any{"seed": 7, "gateway_reject": 1}, 200, nil) // FREQUENCY_LIMITED
	_, err = ch.Query(ctx, "f2fchanerr01")
	wantCode(t, err, payment.CodeUpstreamUnavailable)

	// Bad input is refused without a call.
	req.OutTradeNo = "short"
	_, err = ch.Precreate(ctx, req)
	wantCode(t, err, payment.CodeUpstreamRejected)
}
