package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

// TestOutsideRefundAPI: POST /sandbox/api/refund refunds like Alipay's merchant portal,
// under alipay.trade.refund's rules, notifies the trade's notify_url, and is seen by the
// SDK's refund query.
func TestOutsideRefundAPI(t *testing.T) {
	b := setup(t, Config{RefundSpacing: AlipayRefundSpacing})
	paidTrade(t, b, "X1") // 9.90
	call := func(body string) (int, map[string]any) {
		t.Helper()
		resp := postJSON(t, b.srv.URL+"/sandbox/api/refund", body)
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	sub := func(out map[string]any) any { e, _ := out["error"].(map[string]any); return e["sub_code"] }
	c, tr := call(`{"app_id":"` + testAppID + `","out_trade_no":"X1","refund_amount":"4.00","out_request_no":"portal-1"}`)
	if c != 200 || tr["refunded_amount"] != "4.00" || tr["status"] != StatusTradeSuccess {
		t.Fatalf("refund: %d %v", c, tr)
	}
	b.sb.runNotifyOnce()
	f := b.notify.received()
	if last := f[len(f)-1]; last.Get("out_biz_no") != "portal-1" || last.Get("refund_fee") != "4.00" || last.Get("trade_status") != "TRADE_SUCCESS" {
		t.Fatalf("refund notification: %v", last)
	}
	q, err := b.client.TradeFastPayRefundQuery(ctx, alipay.TradeFastPayRefundQuery{OutTradeNo: "X1", OutRequestNo: "portal-1"})
	if err != nil || q.RefundStatus != "REFUND_SUCCESS" || q.RefundAmount != "4.00" {
		t.Fatalf("SDK refund query: %v %+v", err, q)
	}
	// within 3 s of the last refund: 429 with Alipay's sub code, nothing moves
	if c, out := call(`{"app_id":"` + testAppID + `","out_trade_no":"X1","refund_amount":"1.00","out_request_no":"portal-2"}`); c != http.StatusTooManyRequests || sub(out) != "isv.app-call-limited" {
		t.Fatalf("too soon: %d %v", c, out)
	}
	b.clock.Advance(AlipayRefundSpacing)
	for _, tc := range []struct {
		body   string
		status int
		sub    string
	}{
		{`{"app_id":"` + testAppID + `","out_trade_no":"X1","refund_amount":4,"out_request_no":"portal-1"}`, 200, ""},
		{`{"app_id":"` + testAppID + `","out_trade_no":"X1","refund_amount":"4.01","out_request_no":"portal-1"}`, 409, "ACQ.DISCORDANT_REPEAT_REQUEST"},
		{`{"app_id":"` + testAppID + `","out_trade_no":"X1","refund_amount":"5.91","out_request_no":"portal-3"}`, 409, "ACQ.REASON_TRADE_REFUND_FEE_ERR"},
		{`{"app_id":"` + testAppID + `","out_trade_no":"X1","refund_amount":"1.00"}`, 409, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"},
		{`{"app_id":"` + testAppID + `","out_trade_no":"X1","refund_amount":"1.001","out_request_no":"p"}`, 400, "ACQ.INVALID_PARAMETER"},
		{`{"app_id":"` + testAppID + `","out_trade_no":"nope","refund_amount":"1.00"}`, 404, "ACQ.TRADE_NOT_EXIST"},
	} {
		c, out := call(tc.body)
		if c != tc.status || (tc.sub != "" && sub(out) != tc.sub) {
			t.Errorf("%s: %d %v, want %d %s", tc.body, c, out, tc.status, tc.sub)
		}
	}
	if tr, _ := b.sb.Trade(testAppID, "X1"); tr.RefundedAmount != "4.00" {
		t.Fatalf("refused refunds moved money: %+v", tr)
	}
	// the rest in full: TRADE_CLOSED, notified as a full refund
	b.clock.Advance(time.Minute)
	if c, tr := call(`{"app_id":"` + testAppID + `","out_trade_no":"X1","refund_amount":"5.90","out_request_no":"portal-4"}`); c != 200 || tr["status"] != StatusTradeClosed {
		t.Fatalf("full: %d %v", c, tr)
	}
	b.sb.runNotifyOnce()
	f = b.notify.received()
	if last := f[len(f)-1]; last.Get("trade_status") != "TRADE_CLOSED" || last.Get("refund_fee") != "9.90" {
		t.Fatalf("full refund notification: %v", last)
	}
	// a trade scanned but unpaid cannot be refunded
	precreate(t, b, "X2", "1.00")
	b.sb.Scan(testAppID, "X2")
	if c, out := call(`{"app_id":"` + testAppID + `","out_trade_no":"X2","refund_amount":"1.00"}`); c != 409 || sub(out) != "ACQ.TRADE_STATUS_ERROR" {
		t.Fatalf("unpaid: %d %v", c, out)
	}
}
