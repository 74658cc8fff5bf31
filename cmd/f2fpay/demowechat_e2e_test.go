package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// WeChat Pay orders end to end through the real program's demo and its merchant API, with
// the embedded WeChat sandbox as WeChat Pay.

func createWeChat(t *testing.T, p *program, no, amount string) *client.Payment {
	t.Helper()
	o, created, err := p.api.Create(context.Background(), client.CreateRequest{OutTradeNo: no, TotalAmount: amount,
		Subject: "微信商品 " + no, Channel: "wechat"})
	if err != nil || !created || o.Channel != "wechat" || !strings.HasPrefix(o.QRCode, "weixin://wxpay/bizpayurl?pr=") {
		t.Fatalf("create %s: created=%v err=%v %+v", no, created, err, o)
	}
	return o
}

// payWeChat makes the WeChat sandbox's buyer pay; it returns the HTTP status.
func (p *program) payWeChat(no string) int {
	return p.sandbox("POST", "/sandbox/wechat/api/pay", map[string]string{"mchid": demoWeChatMchID, "out_trade_no": no}, nil)
}

type wechatTrade struct {
	State         string `json:"trade_state"`
	TransactionID string `json:"transaction_id"`
	Refunded      int64  `json:"refunded"`
}

func (p *program) wechatTrade(no string) wechatTrade {
	p.t.Helper()
	var list struct {
		Trades []wechatTrade `json:"trades"`
	}
	q := url.Values{"mchid": {demoWeChatMchID}, "out_trade_no": {no}}
	if code := p.sandbox("GET", "/sandbox/wechat/api/trades?"+q.Encode(), nil, &list); code != 200 || len(list.Trades) != 1 {
		p.t.Fatalf("wechat sandbox trade %s: status %d, %d trades", no, code, len(list.Trades))
	}
	return list.Trades[0]
}

// wechatAttempts counts the WeChat sandbox's notification attempts for an order that the
// gateway answered with status.
func (p *program) wechatAttempts(no string, status int) int {
	p.t.Helper()
	var list struct {
		Notifications []struct {
			Status int `json:"status_code"`
		} `json:"notifications"`
	}
	if code := p.sandbox("GET", "/sandbox/wechat/api/notifications?out_trade_no="+url.QueryEscape(no), nil, &list); code != 200 {
		p.t.Fatalf("wechat notifications: %d", code)
	}
	n := 0
	for _, a := range list.Notifications {
		if a.Status == status {
			n++
		}
	}
	return n
}

func postNotify(t *testing.T, base string, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/notify/wechat", bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWeChatEndToEnd: create (and its validation), pay with every notification duplicated,
// a forged and an oversized notification, a payment whose notifications are all dropped
// found by the query, refunds (pending, then succeeded; idempotent by refund_no), close.
func TestWeChatEndToEnd(t *testing.T) {
	t.Parallel()
	p := runDemoForTest(t, t.TempDir())
	ctx := context.Background()
	base := p.state.BaseURL

	// Validation: an unknown channel, WeChat Pay's out_trade_no length, the same number on another channel.
	_, _, err := p.api.Create(ctx, client.CreateRequest{OutTradeNo: "wxe2e_bad", TotalAmount: "1.00", Subject: "s", Channel: "unionpay"})
	if errCode(err) != "INVALID_PARAMETER" {
		t.Fatalf("unknown channel: %v", err)
	}
	_, _, err = p.api.Create(ctx, client.CreateRequest{OutTradeNo: "wx1", TotalAmount: "1.00", Subject: "s", Channel: "wechat"})
	if errCode(err) != "INVALID_PARAMETER" {
		t.Fatalf("a 3-character out_trade_no on wechat: %v", err)
	}

	// Pay, every notification sent twice: one payment, one event.
	if code := p.sandbox("POST", "/sandbox/wechat/api/faults", map[string]any{"seed": 3, "notify_duplicate": 1.0}, nil); code != 200 {
		t.Fatalf("faults: %d", code)
	}
	createWeChat(t, p, "wxe2e_pay", "9.90")
	if again, created, err := p.api.Create(ctx, client.CreateRequest{OutTradeNo: "wxe2e_pay", TotalAmount: "9.90",
		Subject: "微信商品 wxe2e_pay", Channel: "wechat"}); err != nil || created || again.Channel != "wechat" {
		t.Fatalf("repeated create: %v %v", created, err)
	}
	if _, _, err := p.api.Create(ctx, client.CreateRequest{OutTradeNo: "wxe2e_pay", TotalAmount: "9.90",
		Subject: "微信商品 wxe2e_pay"}); errCode(err) != "CONFLICT" {
		t.Fatalf("the same order on alipay: %v", err)
	}
	if code := p.payWeChat("wxe2e_pay"); code != 200 {
		t.Fatalf("pay: %d", code)
	}
	paid := p.waitStatus("wxe2e_pay", "paid")
	wt := p.wechatTrade("wxe2e_pay")
	if paid.TradeNo != wt.TransactionID || paid.PaidAt == nil {
		t.Fatalf("paid %+v, sandbox %+v", paid, wt)
	}
	testutil.WaitFor(t, 0, "both copies of the notification answered 204", func() bool { return p.wechatAttempts("wxe2e_pay", 204) >= 2 })
	if n := p.events("wxe2e_pay", "payment.succeeded"); n != 1 {
		t.Fatalf("%d payment.succeeded events", n)
	}
	p.sandbox("DELETE", "/sandbox/wechat/api/faults", nil, nil)

	// Forged: an envelope that no key signed, for a pending order; and an oversized body.
	createWeChat(t, p, "wxe2e_forged", "5.00")
	forged := []byte(`{"id":"EV-forged","create_time":"2026-11-29T10:00:00+08:00","resource_type":"encrypt-resource",` +
		`"event_type":"TRANSACTION.SUCCESS","summary":"支付成功","resource":{"original_type":"transaction","algorithm":"AEAD_AES_256_GCM",` +
		`"ciphertext":"AAAA","associated_data":"transaction","nonce":"abcdefghijkl"}}`)
	h := http.Header{"Wechatpay-Timestamp": {"1795964524"}, "Wechatpay-Nonce": {"n"}, "Wechatpay-Serial": {"PUB_KEY_ID_0100000000000000000000000000"},
		"Wechatpay-Signature": {"Zm9yZ2Vk"}}
	if code, body := postNotify(t, base, h, forged); code != 500 || !strings.Contains(body, `"code":"FAIL"`) {
		t.Fatalf("forged notification answered %d %s", code, body)
	}
	if code, body := postNotify(t, base, h, bytes.Repeat([]byte("x"), 70<<10)); code != 413 || !strings.Contains(body, `"code":"FAIL"`) {
		t.Fatalf("oversized notification answered %d %s", code, body)
	}
	if o, err := p.api.Query(ctx, "wxe2e_forged", client.QueryOptions{}); err != nil || o.Status != "pending" {
		t.Fatalf("after forged notifications: %+v %v", o, err)
	}

	// Dropped: no notification arrives; a query of WeChat Pay finds the payment.
	if code := p.sandbox("POST", "/sandbox/wechat/api/faults", map[string]any{"seed": 3, "notify_drop": 1.0}, nil); code != 200 {
		t.Fatalf("faults: %d", code)
	}
	createWeChat(t, p, "wxe2e_lost", "2.00")
	if code := p.payWeChat("wxe2e_lost"); code != 200 {
		t.Fatalf("pay: %d", code)
	}
	if o, err := p.api.Query(ctx, "wxe2e_lost", client.QueryOptions{Sync: true}); err != nil || o.Status != "paid" {
		t.Fatalf("sync query of a payment whose notifications were dropped: %+v %v", o, err)
	}
	if n := p.wechatAttempts("wxe2e_lost", 204); n != 0 {
		t.Fatalf("%d notifications reached the gateway despite notify_drop", n)
	}
	p.sandbox("DELETE", "/sandbox/wechat/api/faults", nil, nil)

	// Refunds: WeChat Pay accepts (pending), settles a few seconds later (succeeded).
	r, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "wxe2e_pay", RefundNo: "wxr1", RefundAmount: "3.00", Reason: "退货"})
	if err != nil || (r.Status != "pending" && r.Status != "succeeded") {
		t.Fatalf("refund: %+v %v", r, err)
	}
	if again, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "wxe2e_pay", RefundNo: "wxr1", RefundAmount: "3.00", Reason: "退货"}); err != nil || again.RefundNo != "wxr1" {
		t.Fatalf("repeated refund: %+v %v", again, err)
	}
	if _, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "wxe2e_pay", RefundNo: "wxr1", RefundAmount: "4.00", Reason: "退货"}); errCode(err) != "CONFLICT" {
		t.Fatalf("refund_no reused with another amount: %v", err)
	}
	if _, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "wxe2e_pay", RefundNo: "wxr2", RefundAmount: "7.00"}); errCode(err) != "UNPROCESSABLE" {
		t.Fatalf("refund above the refundable rest: %v", err)
	}
	testutil.WaitFor(t, 0, "the refund to succeed", func() bool {
		r, err := p.api.RefundQuery(ctx, "wxe2e_pay", "wxr1")
		return err == nil && r.Status == "succeeded"
	})
	if o := p.waitStatus("wxe2e_pay", "paid"); o.RefundedAmount != "3.00" {
		t.Fatalf("refunded %s", o.RefundedAmount)
	}
	if wt := p.wechatTrade("wxe2e_pay"); wt.Refunded != 300 {
		t.Fatalf("sandbox refunded %d fen", wt.Refunded)
	}
	if _, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: "wxe2e_pay", RefundNo: "wxr2", RefundAmount: "6.90"}); err != nil {
		t.Fatal(err)
	}
	p.waitStatus("wxe2e_pay", "refunded")
	if n := p.events("wxe2e_pay", "refund.succeeded"); n != 2 {
		t.Fatalf("%d refund.succeeded events", n)
	}

	// Close: closed here and at WeChat Pay; the code_url can no longer be paid.
	if o, err := p.api.Close(ctx, "wxe2e_forged"); err != nil || o.Status != "closed" {
		t.Fatalf("close: %+v %v", o, err)
	}
	if wt := p.wechatTrade("wxe2e_forged"); wt.State != "CLOSED" {
		t.Fatalf("sandbox trade %+v", wt)
	}
	if code := p.payWeChat("wxe2e_forged"); code == 200 {
		t.Fatal("the WeChat sandbox let a buyer pay a closed order")
	}
	if _, err := p.api.Close(ctx, "wxe2e_pay"); errCode(err) != "CONFLICT" {
		t.Fatalf("close of a refunded order: %v", err)
	}
	if n := p.events("wxe2e_forged", "payment.closed"); n != 1 {
		t.Fatalf("%d payment.closed events", n)
	}
}
