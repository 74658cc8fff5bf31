package wechat

import (
	"testing"
	"time"
)

func TestNativeOrderIdempotencyAndRefusals(t *testing.T) {
	b := setup(t, Config{})
	url := b.order(t, "f2fidem00001", 990, "https://shop.example/notify")
	if again := b.order(t, "f2fidem00001", 990, "https://shop.example/notify"); again != url {
		t.Fatalf("same parameters gave another code_url: %s vs %s", again, url)
	}
	refused := func(body map[string]any, status int, code string) {
		t.Helper()
		r := b.call(t, "POST", "/v3/pay/transactions/native", body)
		if r.status != status || r.code(t) != code {
			t.Fatalf("%v: %d %s, want %d %s", body, r.status, r.body, status, code)
		}
	}
	refused(nativeBody("f2fidem00001", 991, "https://shop.example/notify"), 403, "OUT_TRADE_NO_USED")
	noDesc := nativeBody("f2fidem00002", 1, "https://shop.example/notify")
	delete(noDesc, "description")
	refused(noDesc, 400, "PARAM_ERROR")
	other := nativeBody("f2fidem00003", 1, "https://shop.example/notify")
	other["mchid"] = "1900000110"
	refused(other, 400, "INVALID_REQUEST")
	refused(nativeBody("f2f 00004", 1, "https://shop.example/notify"), 400, "PARAM_ERROR")
	refused(nativeBody("f2fidem00005", 0, "https://shop.example/notify"), 400, "PARAM_ERROR")
	refused(nativeBody("f2fidem00006", 1, "https://shop.example/notify?x=1"), 400, "PARAM_ERROR")
	b.pay(t, "f2fidem00001")
	refused(nativeBody("f2fidem00001", 990, "https://shop.example/notify"), 400, "ORDERPAID")
	b.order(t, "f2fidem00007", 5, "https://shop.example/notify")
	if r := b.call(t, "POST", "/v3/pay/transactions/out-trade-no/f2fidem00007/close", map[string]string{"mchid": testMchID}); r.status != 204 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	refused(nativeBody("f2fidem00007", 5, "https://shop.example/notify"), 400, "ORDER_CLOSED")

	req := b.request(t, goSDK, "POST", "/v3/pay/transactions/native", nativeBody("f2fidem00008", 1, "https://shop.example/n"))
	req.Header.Set("Content-Type", "text/plain")
	if r := do(t, req); r.status != 400 || r.code(t) != "INVALID_REQUEST" {
		t.Fatalf("text/plain: %d %s", r.status, r.body)
	}
}

func TestQueryAndClose(t *testing.T) {
	b := setup(t, Config{})
	b.order(t, "f2fquery0001", 300, "https://shop.example/notify")
	q := b.call(t, "GET", "/v3/pay/transactions/out-trade-no/f2fquery0001?mchid="+testMchID, nil).json(t)
	if q["trade_state"] != "NOTPAY" || q["transaction_id"] != nil || q["payer"] != nil || q["amount"].(map[string]any)["total"] != 300.0 {
		t.Fatalf("unpaid: %v", q)
	}
	b.pay(t, "f2fquery0001")
	q = b.call(t, "GET", "/v3/pay/transactions/out-trade-no/f2fquery0001?mchid="+testMchID, nil).json(t)
	txn, _ := q["transaction_id"].(string)
	if q["trade_state"] != "SUCCESS" || len(txn) != 28 || q["trade_type"] != "NATIVE" || q["success_time"] != "2024-06-05T12:00:00+08:00" ||
		q["payer"].(map[string]any)["openid"] == "" || q["amount"].(map[string]any)["payer_total"] != 300.0 {
		t.Fatalf("paid: %v", q)
	}
	cases := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/v3/pay/transactions/out-trade-no/f2fnothere01?mchid=" + testMchID, nil, 404, "ORDER_NOT_EXIST"},
		{"GET", "/v3/pay/transactions/out-trade-no/f2fquery0001", nil, 400, "PARAM_ERROR"},
		{"GET", "/v3/pay/transactions/out-trade-no/f2fquery0001?mchid=1900000110", nil, 400, "INVALID_REQUEST"},
		{"POST", "/v3/pay/transactions/out-trade-no/f2fquery0001/close", map[string]string{"mchid": testMchID}, 400, "ORDERPAID"},
		{"POST", "/v3/pay/transactions/out-trade-no/f2fnothere01/close", map[string]string{"mchid": testMchID}, 404, "ORDER_NOT_EXIST"},
		{"POST", "/v3/pay/transactions/out-trade-no/f2fquery0001/close", map[string]string{}, 400, "PARAM_ERROR"},
	}
	for _, c := range cases {
		if r := b.call(t, c.method, c.path, c.body); r.status != c.status || r.code(t) != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, r.status, r.body, c.status, c.code)
		}
	}
	b.order(t, "f2fclose0001", 1, "https://shop.example/notify")
	for i := 0; i < 2; i++ { // closing twice is 204 both times, signed over an empty body
		r := b.call(t, "POST", "/v3/pay/transactions/out-trade-no/f2fclose0001/close", map[string]string{"mchid": testMchID})
		if r.status != 204 || len(r.body) != 0 {
			t.Fatalf("close %d: %d %q", i, r.status, r.body)
		}
	}
	if r := b.api(t, "POST", "/pay", map[string]any{"mchid": testMchID, "out_trade_no": "f2fclose0001"}); r.status != 409 {
		t.Fatalf("paying a closed order: %d %s", r.status, r.body)
	}
}

// An order expires at time_expire, its remaining time divided by TimeScale.
func TestExpiry(t *testing.T) {
	b := setup(t, Config{TimeScale: 10})
	body := nativeBody("f2fexpire001", 1, "https://shop.example/notify")
	body["time_expire"] = b.clock.Now().Add(10 * time.Minute).In(beijing).Format(time.RFC3339)
	if r := b.call(t, "POST", "/v3/pay/transactions/native", body); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	b.clock.Advance(59 * time.Second)
	if st := b.s.Trades(testMchID, "f2fexpire001")[0].State; st != "NOTPAY" {
		t.Fatalf("before 1 min: %s", st)
	}
	b.clock.Advance(time.Second)
	q := b.call(t, "GET", "/v3/pay/transactions/out-trade-no/f2fexpire001?mchid="+testMchID, nil).json(t)
	if q["trade_state"] != "CLOSED" {
		t.Fatalf("after 10 min / 10: %v", q)
	}
	if r := b.api(t, "POST", "/pay", map[string]any{"mchid": testMchID, "out_trade_no": "f2fexpire001"}); r.status != 410 {
		t.Fatalf("paying an expired order: %d %s", r.status, r.body)
	}
	past := nativeBody("f2fexpire002", 1, "https://shop.example/notify")
	past["time_expire"] = b.clock.Now().Add(-time.Minute).Format(time.RFC3339)
	if r := b.call(t, "POST", "/v3/pay/transactions/native", past); r.status != 400 || r.code(t) != "INVALID_REQUEST" {
		t.Fatalf("past time_expire: %d %s", r.status, r.body)
	}
}
