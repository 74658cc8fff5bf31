package wechat

import (
	"testing"
	"time"
)

func refundBody(outTradeNo, outRefundNo string, refund, total int64) map[string]any {
	return map[string]any{"out_trade_no": outTradeNo, "out_refund_no": outRefundNo, "reason": "商品已售完",
		"amount": map[string]any{"refund": refund, "total": total, "currency": "CNY"}}
}

func TestRefundLifecycle(t *testing.T) {
	b := setup(t, Config{RefundSettle: 30 * time.Second})
	b.order(t, "f2frefund001", 1000, "https://shop.example/notify")
	if r := b.call(t, "POST", "/v3/refund/domestic/refunds", refundBody("f2frefund001", "r1", 100, 1000)); r.status != 404 || r.code(t) != "RESOURCE_NOT_EXISTS" {
		t.Fatalf("unpaid: %d %s", r.status, r.body)
	}
	b.pay(t, "f2frefund001")
	r := b.call(t, "POST", "/v3/refund/domestic/refunds", refundBody("f2frefund001", "r1", 300, 1000))
	first := r.json(t)
	if r.status != 200 || first["status"] != "PROCESSING" || first["out_refund_no"] != "r1" || first["success_time"] != nil ||
		first["amount"].(map[string]any)["refund"] != 300.0 || len(first["refund_id"].(string)) != 29 {
		t.Fatalf("refund: %d %s", r.status, r.body)
	}
	again := b.call(t, "POST", "/v3/refund/domestic/refunds", refundBody("f2frefund001", "r1", 300, 1000)).json(t)
	if again["refund_id"] != first["refund_id"] {
		t.Fatalf("repeat gave another refund: %v", again)
	}
	if tr := b.s.Trades(testMchID, "f2frefund001")[0]; tr.Refunded != 300 || tr.State != "REFUND" || len(tr.Refunds) != 1 {
		t.Fatalf("trade after a repeated refund: %+v", tr)
	}
	cases := []struct {
		body   map[string]any
		status int
		code   string
	}{
		{refundBody("f2frefund001", "r1", 301, 1000), 400, "INVALID_REQUEST"},     // same out_refund_no, other amount
		{refundBody("f2frefund001", "r2", 701, 1000), 400, "INVALID_REQUEST"},     // more than the rest
		{refundBody("f2frefund001", "r3", 100, 999), 400, "INVALID_REQUEST"},      // total is not the order's
		{refundBody("f2fnothere01", "r4", 100, 1000), 404, "RESOURCE_NOT_EXISTS"}, // no such order
		{map[string]any{"out_trade_no": "f2frefund001", "out_refund_no": "r5", "amount": map[string]any{"refund": 1, "total": 1000}}, 400, "PARAM_ERROR"},
	}
	for _, c := range cases {
		if r := b.call(t, "POST", "/v3/refund/domestic/refunds", c.body); r.status != c.status || r.code(t) != c.code {
			t.Errorf("%v: %d %s, want %d %s", c.body, r.status, r.body, c.status, c.code)
		}
	}
	// The rest, by transaction_id.
	txn := b.s.Trades(testMchID, "f2frefund001")[0].TransactionID
	rest := map[string]any{"transaction_id": txn, "out_refund_no": "r6", "amount": map[string]any{"refund": 700, "total": 1000, "currency": "CNY"}}
	if r := b.call(t, "POST", "/v3/refund/domestic/refunds", rest); r.status != 200 {
		t.Fatalf("by transaction_id: %d %s", r.status, r.body)
	}
	b.clock.Advance(29 * time.Second)
	if q := b.call(t, "GET", "/v3/refund/domestic/refunds/r1", nil).json(t); q["status"] != "PROCESSING" {
		t.Fatalf("before settling: %v", q)
	}
	b.clock.Advance(time.Second)
	q := b.call(t, "GET", "/v3/refund/domestic/refunds/r1", nil).json(t)
	if q["status"] != "SUCCESS" || q["success_time"] != "2024-06-05T12:00:30+08:00" {
		t.Fatalf("after settling: %v", q)
	}
	if r := b.call(t, "GET", "/v3/refund/domestic/refunds/r404", nil); r.status != 404 || r.code(t) != "RESOURCE_NOT_EXISTS" {
		t.Fatalf("unknown refund: %d %s", r.status, r.body)
	}
}

func TestOutsideRefund(t *testing.T) {
	b := setup(t, Config{})
	b.order(t, "f2foutside01", 500, "https://shop.example/notify")
	if r := b.api(t, "POST", "/refund", map[string]any{"mchid": testMchID, "out_trade_no": "f2foutside01", "refund": 100}); r.status != 404 {
		t.Fatalf("unpaid: %d %s", r.status, r.body)
	}
	b.pay(t, "f2foutside01")
	r := b.api(t, "POST", "/refund", map[string]any{"mchid": testMchID, "out_trade_no": "f2foutside01", "refund": 100})
	v := r.json(t)
	if r.status != 200 || v["outside"] != true || v["status"] != "PROCESSING" || v["refund"] != 100.0 {
		t.Fatalf("outside refund: %d %s", r.status, r.body)
	}
	// The API sees it like any other refund.
	if q := b.call(t, "GET", "/v3/refund/domestic/refunds/"+v["out_refund_no"].(string), nil); q.status != 200 {
		t.Fatalf("query of an outside refund: %d %s", q.status, q.body)
	}
	if r := b.api(t, "POST", "/refund", map[string]any{"mchid": testMchID, "out_trade_no": "f2foutside01", "refund": 401}); r.status != 409 {
		t.Fatalf("over the rest: %d %s", r.status, r.body)
	}
}
