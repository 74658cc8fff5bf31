package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/smartwalle/alipay/v3"
)

// apiTrades reads GET /sandbox/api/trades, as an outside test would.
func apiTrades(t *testing.T, b *bundle, no string) []Trade {
	t.Helper()
	resp, err := http.Get(b.srv.URL + "/sandbox/api/trades?app_id=" + testAppID + "&out_trade_no=" + no)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Trades []Trade }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Trades
}

// TestGatewaySystemErrorApplied: the call is carried out, then answered 20000
// isp.unknow-error or 40004 ACQ.SYSTEM_ERROR (both flavours show up); a refund so
// answered exists in /sandbox/api/trades.
func TestGatewaySystemErrorApplied(t *testing.T) {
	b := setup(t, Config{})
	paidTrade(t, b, "SA1")
	b.sb.SetFaults(Faults{Seed: 5, GatewaySystemErrorApplied: 1, Methods: []string{"alipay.trade.refund"}})
	seen := map[string]bool{}
	for i, no := range []string{"r1", "r2", "r3", "r4", "r5", "r6"} {
		r, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "SA1", RefundAmount: "1.00", OutRequestNo: no})
		if err != nil {
			t.Fatal(err)
		}
		seen[string(r.Code)+"/"+r.SubCode] = true
		trs := apiTrades(t, b, "SA1")
		if len(trs) != 1 || len(trs[0].Refunds) != i+1 || trs[0].Refunds[i].OutRequestNo != no {
			t.Fatalf("refund %s answered %s/%s but not carried out: %+v", no, r.Code, r.SubCode, trs)
		}
	}
	if !seen["20000/isp.unknow-error"] || !seen["40004/ACQ.SYSTEM_ERROR"] || len(seen) != 2 {
		t.Fatalf("flavours: %v", seen)
	}
	// limited to refund: a query is answered normally
	if q, err := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "SA1"}); err != nil || q.IsFailure() || q.TotalAmount != "9.90" {
		t.Fatalf("query hit by a refund-only knob: %v %+v", err, q)
	}
}

// TestGatewayReject: nothing is carried out and the call is answered with the chosen
// error: gateway-level codes (default 40005 isv.app-call-limited) unsigned, as the real
// gateway sends them; business codes (40004) signed.
func TestGatewayReject(t *testing.T) {
	b := setup(t, Config{})
	paidTrade(t, b, "RJ1")
	b.sb.SetFaults(Faults{GatewayReject: 1, Methods: []string{"alipay.trade.refund"}})
	_, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "RJ1", RefundAmount: "1.00", OutRequestNo: "r1"})
	var ae *alipay.Error
	if !errors.As(err, &ae) || ae.Code != "40005" || ae.SubCode != "isv.app-call-limited" || ae.Msg != "Call Limited" {
		t.Fatalf("default rejection (unsigned, so the SDK returns it as an error): %v", err)
	}
	raw := postForm(t, b.srv.URL, signed(b, map[string]string{"method": "alipay.trade.refund",
		"biz_content": `{"out_trade_no":"RJ1","refund_amount":"1.00","out_request_no":"r1"}`}))
	if raw != `{"alipay_trade_refund_response":{"code":"40005","msg":"Call Limited","sub_code":"isv.app-call-limited","sub_msg":"调用频次超限"}}` {
		t.Fatalf("raw rejection: %s", raw)
	}
	b.sb.SetFaults(Faults{GatewayReject: 1, GatewayRejectCode: "40004", GatewayRejectSubCode: "ACQ.SELLER_BALANCE_NOT_ENOUGH"})
	r, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "RJ1", RefundAmount: "1.00", OutRequestNo: "r1"})
	if err != nil || r.Code != "40004" || r.SubCode != "ACQ.SELLER_BALANCE_NOT_ENOUGH" {
		t.Fatalf("business rejection (signed): %v %+v", err, r)
	}
	if trs := apiTrades(t, b, "RJ1"); len(trs[0].Refunds) != 0 {
		t.Fatalf("a rejected refund was carried out: %+v", trs[0].Refunds)
	}
	b.sb.ClearFaults()
	if r, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "RJ1", RefundAmount: "1.00", OutRequestNo: "r1"}); err != nil || r.FundChange != "Y" {
		t.Fatalf("after clearing: %v %+v", err, r)
	}
}

// TestGatewayRejectValidation: the code and sub code go together, and the code is one
// Alipay uses for errors.
func TestGatewayRejectValidation(t *testing.T) {
	b := setup(t, Config{})
	for body, want := range map[string]int{
		`{"gateway_reject":1,"gateway_reject_code":"40004","gateway_reject_sub_code":"ACQ.SELLER_BALANCE_NOT_ENOUGH"}`: 200,
		`{"gateway_reject":0.5}`:                                                                  200,
		`{"gateway_system_error_applied":0.5}`:                                                    200,
		`{"gateway_reject":1,"gateway_reject_code":"40004"}`:                                      400,
		`{"gateway_reject":1,"gateway_reject_code":"10000","gateway_reject_sub_code":"x.y"}`:      400,
		`{"gateway_reject":1,"gateway_reject_code":"40005","gateway_reject_sub_code":"bad code"}`: 400,
		`{"gateway_system_error_applied":1.5}`:                                                    400,
	} {
		if resp := postJSON(t, b.srv.URL+"/sandbox/api/faults", body); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", body, resp.StatusCode, want)
		}
	}
}

// TestNewGatewayKnobsRepeatWithSeed: the same seed gives the same answers, call by call.
func TestNewGatewayKnobsRepeatWithSeed(t *testing.T) {
	run := func(seed int64) []string {
		b := setup(t, Config{})
		b.sb.SetFaults(Faults{Seed: seed, GatewayReject: 0.3, GatewaySystemErrorApplied: 0.3, GatewaySystemError: 0.2})
		var out []string
		for range 30 {
			r, err := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "none"})
			if err != nil {
				out = append(out, "unsigned:"+err.Error())
				continue
			}
			out = append(out, string(r.Code)+"/"+r.SubCode)
		}
		return out
	}
	a, c := run(11), run(11)
	if !reflect.DeepEqual(a, c) {
		t.Fatalf("seed 11 gave\n%v\n%v", a, c)
	}
	if reflect.DeepEqual(a, run(12)) {
		t.Fatal("seeds 11 and 12 gave the same answers")
	}
}

// TestGatewayTimeoutCarriesRefundOut: gateway_timeout applies the refund, then the
// client never gets an answer.
func TestGatewayTimeoutCarriesRefundOut(t *testing.T) {
	b := setup(t, Config{})
	paidTrade(t, b, "TO1")
	b.sb.SetFaults(Faults{GatewayTimeout: 1, Methods: []string{"alipay.trade.refund"}})
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err := b.client.TradeRefund(cctx, alipay.TradeRefund{OutTradeNo: "TO1", RefundAmount: "2.00", OutRequestNo: "t1"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	// the client may give up before the handler got to it on a loaded machine: wait
	testutil.WaitFor(t, 0, "the timed-out refund carried out", func() bool {
		trs := apiTrades(t, b, "TO1")
		return len(trs[0].Refunds) == 1 && trs[0].RefundedAmount == "2.00"
	})
}

// TestV3GatewayKnobs: OpenAPI v3 runs through the same knobs: a gateway-level rejection
// is an unsigned 429, a business one a signed 400, and the applied system error a signed
// 500 after the call was carried out.
func TestV3GatewayKnobs(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			c := cs[st]
			b.sb.SetFaults(Faults{GatewayReject: 1, Methods: []string{"alipay.trade.precreate"}})
			wantErr(t, st, c.call(t, precreateV3("VK1", "1.00", "s", "")), 429, "app-call-limited", false)
			b.sb.SetFaults(Faults{GatewayReject: 1, GatewayRejectCode: "40004", GatewayRejectSubCode: "ACQ.SELLER_BALANCE_NOT_ENOUGH"})
			wantErr(t, st, c.call(t, precreateV3("VK1", "1.00", "s", "")), 400, "ACQ.SELLER_BALANCE_NOT_ENOUGH", true)
			if _, ok := b.sb.Trade(testAppID, "VK1"); ok {
				t.Fatal("a rejected call was carried out")
			}
			b.sb.SetFaults(Faults{Seed: 3, GatewaySystemErrorApplied: 1})
			res := c.call(t, precreateV3("VK1", "1.00", "s", ""))
			wantErr(t, st, res, 500, res.code, true)
			if _, ok := b.sb.Trade(testAppID, "VK1"); !ok {
				t.Fatal("the applied system error did not carry the call out")
			}
		})
	}
}
