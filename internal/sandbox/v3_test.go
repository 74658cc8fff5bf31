package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

// v3Setup is setup plus one raw v3 client per SDK style, in public-key mode.
func v3Setup(t *testing.T, cfg Config) (*bundle, map[sdkStyle]*v3Client) {
	t.Helper()
	b := setup(t, cfg)
	cs := map[sdkStyle]*v3Client{}
	for _, st := range styles {
		cs[st] = &v3Client{style: st, endpoint: b.srv.URL + "/sandbox", appID: testAppID, key: testAppKey,
			alipayPub: &testAlipayKey.PublicKey}
	}
	return b, cs
}

func post(path string, body ...kv) v3Req {
	return v3Req{method: http.MethodPost, path: path, body: body}
}

// wantOK checks a 2xx the SDK verified and returns its data.
func wantOK(t *testing.T, res v3Result) map[string]any {
	t.Helper()
	if res.status != http.StatusOK || res.sdkErr != "" || !res.verified || res.header.Get("alipay-trace-id") == "" {
		t.Fatalf("want a verified 200, got %d %q %s/%s: %s", res.status, res.sdkErr, res.code, res.msg, res.raw)
	}
	return res.data
}

// wantErr checks an HTTP error as the SDK raises it. signed: the answer carries
// alipay-signature, which the Java SDK then verifies and the Node SDK never does.
func wantErr(t *testing.T, st sdkStyle, res v3Result, status int, code string, signed bool) {
	t.Helper()
	if res.status != status || res.code != code || res.msg == "" || res.sdkErr != "" {
		t.Fatalf("want %d %s, got %d %q %s/%s: %s", status, code, res.status, res.sdkErr, res.code, res.msg, res.raw)
	}
	if got := res.header.Get("alipay-signature") != ""; got != signed {
		t.Fatalf("%s: signed %v, want %v", code, got, signed)
	}
	if res.verified != (signed && st == styleJava) || res.header.Get("alipay-trace-id") == "" {
		t.Fatalf("%s: verified %v by %s, trace id %q", code, res.verified, st, res.header.Get("alipay-trace-id"))
	}
}

func precreateV3(no, amount, subject, notify string) v3Req {
	return post("/v3/alipay/trade/precreate", kv{"out_trade_no", no}, kv{"total_amount", amount},
		kv{"subject", subject}, kv{"notify_url", notify})
}

// paidV3 precreates no through c and has the buyer pay it.
func paidV3(t *testing.T, b *bundle, c *v3Client, no, amount string) {
	t.Helper()
	wantOK(t, c.call(t, precreateV3(no, amount, "测试商品", b.notify.URL)))
	if _, err := b.sb.Pay(testAppID, no, ""); err != nil {
		t.Fatal(err)
	}
}

func TestV3Precreate(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			c := cs[st]
			subject := "咖啡 <大杯> & '热' = 1" // Gson escapes <>&=' in the Java body
			d := wantOK(t, c.call(t, precreateV3("P1", "9.90", subject, b.notify.URL)))
			qr, _ := d["qr_code"].(string)
			if d["out_trade_no"] != "P1" || !strings.HasPrefix(qr, b.srv.URL+"/sandbox/scan/bax") || d["code"] != nil {
				t.Fatalf("answer %v", d)
			}
			if tr, _ := b.sb.Trade(testAppID, "P1"); tr.Subject != subject || tr.TotalAmount != "9.90" {
				t.Fatalf("trade %+v", tr)
			}
			if again := wantOK(t, c.call(t, precreateV3("P1", "9.90", subject, b.notify.URL))); again["qr_code"] != qr {
				t.Fatal("a repeated precreate gave another QR")
			}
			wantErr(t, st, c.call(t, precreateV3("P2", "0.001", "s", "")), 400, "ACQ.INVALID_PARAMETER", true)
			wantErr(t, st, c.call(t, precreateV3("P1", "9.91", subject, "")), 400, "ACQ.CONTEXT_INCONSISTENT", true)
			if _, err := b.sb.Pay(testAppID, "P1", ""); err != nil {
				t.Fatal(err)
			}
			b.sb.runNotifyOnce()
			f := b.notify.received()
			if len(f) != 1 {
				t.Fatalf("notifications %v", f)
			}
			if n, err := b.client.DecodeNotification(ctx, f[0]); err != nil || n.TradeStatus != alipay.TradeStatusSuccess {
				t.Fatalf("notification from a v3 precreate: %v %+v", err, n)
			}
			wantErr(t, st, c.call(t, precreateV3("P1", "9.90", subject, "")), 400, "ACQ.TRADE_HAS_SUCCESS", true)
		})
	}
}

func TestV3Query(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			c := cs[st]
			wantOK(t, c.call(t, precreateV3("Q1", "12.34", "s", "")))
			query := post("/v3/alipay/trade/query", kv{"out_trade_no", "Q1"})
			wantErr(t, st, c.call(t, query), 400, "ACQ.TRADE_NOT_EXIST", true) // not scanned yet
			if _, err := b.sb.Pay(testAppID, "Q1", ""); err != nil {
				t.Fatal(err)
			}
			d := wantOK(t, c.call(t, query))
			if d["trade_status"] != "TRADE_SUCCESS" || d["total_amount"] != "12.34" || d["out_trade_no"] != "Q1" {
				t.Fatalf("query %v", d)
			}
			byNo := wantOK(t, c.call(t, post("/v3/alipay/trade/query", kv{"trade_no", d["trade_no"]})))
			if byNo["out_trade_no"] != "Q1" {
				t.Fatalf("by trade_no %v", byNo)
			}
			// Java v3 SDKs up to 2023 sent the query as GET with query parameters and no body.
			get := v3Req{method: http.MethodGet, path: "/v3/alipay/trade/query",
				query: [][2]string{{"out_trade_no", "Q1"}, {"query_options", "fund_bill_list,voucher_detail_list"}}}
			if g := wantOK(t, c.call(t, get)); g["trade_status"] != "TRADE_SUCCESS" {
				t.Fatalf("GET query %v", g)
			}
			wantErr(t, st, c.call(t, post("/v3/alipay/trade/query")), 400, "ACQ.INVALID_PARAMETER", true)
		})
	}
}

func TestV3Refund(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			c := cs[st]
			paidV3(t, b, c, "R1", "9.90")
			refund := func(no, amount, reqNo string) v3Req {
				return post("/v3/alipay/trade/refund", kv{"out_trade_no", no}, kv{"refund_amount", amount},
					kv{"out_request_no", reqNo}, kv{"refund_reason", "退货"})
			}
			d := wantOK(t, c.call(t, refund("R1", "1.00", "RQ1")))
			if d["fund_change"] != "Y" || d["refund_fee"] != "1.00" || d["send_back_fee"] != "1.00" {
				t.Fatalf("refund %v", d)
			}
			if again := wantOK(t, c.call(t, refund("R1", "1.00", "RQ1"))); again["fund_change"] != "N" {
				t.Fatalf("repeat %v", again)
			}
			wantErr(t, st, c.call(t, refund("R1", "2.00", "RQ1")), 400, "ACQ.DISCORDANT_REPEAT_REQUEST", true)
			wantErr(t, st, c.call(t, refund("R1", "9.00", "RQ2")), 400, "ACQ.REASON_TRADE_REFUND_FEE_ERR", true)
			wantErr(t, st, c.call(t, refund("NOPE", "1.00", "RQ3")), 400, "ACQ.TRADE_NOT_EXIST", true)
			wantOK(t, c.call(t, precreateV3("R2", "5.00", "s", "")))
			if _, err := b.sb.Scan(testAppID, "R2"); err != nil {
				t.Fatal(err)
			}
			wantErr(t, st, c.call(t, refund("R2", "1.00", "RQ4")), 400, "ACQ.TRADE_STATUS_ERROR", true)
			if tr, _ := b.sb.Trade(testAppID, "R1"); tr.RefundedAmount != "1.00" || len(tr.Refunds) != 1 {
				t.Fatalf("trade %+v", tr)
			}
		})
	}
}

func TestV3RefundQuery(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			c := cs[st]
			paidV3(t, b, c, "F1", "3.00")
			wantOK(t, c.call(t, post("/v3/alipay/trade/refund", kv{"out_trade_no", "F1"},
				kv{"refund_amount", "0.50"}, kv{"out_request_no", "FQ1"})))
			q := func(reqNo string) v3Req {
				if reqNo == "" {
					return post("/v3/alipay/trade/fastpay/refund/query", kv{"out_trade_no", "F1"})
				}
				return post("/v3/alipay/trade/fastpay/refund/query", kv{"out_trade_no", "F1"}, kv{"out_request_no", reqNo})
			}
			d := wantOK(t, c.call(t, q("FQ1")))
			if d["refund_status"] != "REFUND_SUCCESS" || d["refund_amount"] != "0.50" || d["total_amount"] != "3.00" {
				t.Fatalf("refund query %v", d)
			}
			if none := wantOK(t, c.call(t, q("FQ9"))); none["refund_status"] != nil || none["out_trade_no"] != "F1" {
				t.Fatalf("unknown refund %v", none)
			}
			wantErr(t, st, c.call(t, q("")), 400, "ACQ.INVALID_PARAMETER", true)
			wantErr(t, st, c.call(t, post("/v3/alipay/trade/fastpay/refund/query", kv{"out_trade_no", "F9"},
				kv{"out_request_no", "FQ1"})), 400, "ACQ.TRADE_NOT_EXIST", true)
		})
	}
}

func TestV3Close(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			c := cs[st]
			wantOK(t, c.call(t, precreateV3("C1", "1.00", "s", b.notify.URL)))
			if _, err := b.sb.Scan(testAppID, "C1"); err != nil {
				t.Fatal(err)
			}
			d := wantOK(t, c.call(t, post("/v3/alipay/trade/close", kv{"out_trade_no", "C1"})))
			if tr, _ := b.sb.Trade(testAppID, "C1"); d["trade_no"] != tr.TradeNo || tr.Status != StatusTradeClosed {
				t.Fatalf("close %v, trade %+v", d, tr)
			}
			paidV3(t, b, c, "C2", "1.00")
			wantErr(t, st, c.call(t, post("/v3/alipay/trade/close", kv{"out_trade_no", "C2"})), 400, "ACQ.TRADE_STATUS_ERROR", true)
			wantErr(t, st, c.call(t, post("/v3/alipay/trade/close", kv{"out_trade_no", "C9"})), 400, "ACQ.TRADE_NOT_EXIST", true)
		})
	}
}

func TestV3Cancel(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			c := cs[st]
			d := wantOK(t, c.call(t, post("/v3/alipay/trade/cancel", kv{"out_trade_no", "K0"})))
			if _, ok := d["action"]; ok || d["retry_flag"] != "N" || d["out_trade_no"] != "K0" {
				t.Fatalf("cancel of an unknown order (no action: the trade does not exist) %v", d)
			}
			paidV3(t, b, c, "K1", "2.00")
			if r := wantOK(t, c.call(t, post("/v3/alipay/trade/cancel", kv{"out_trade_no", "K1"}))); r["action"] != "refund" {
				t.Fatalf("cancel of a paid trade %v", r)
			}
			wantErr(t, st, c.call(t, post("/v3/alipay/trade/cancel", kv{"trade_no", "2026050122001999999999999999"})),
				400, "ACQ.TRADE_NOT_EXIST", true)
			paidV3(t, b, c, "K2", "2.00")
			if err := b.sb.FinishTrade(testAppID, "K2"); err != nil {
				t.Fatal(err)
			}
			wantErr(t, st, c.call(t, post("/v3/alipay/trade/cancel", kv{"out_trade_no", "K2"})), 400, "ACQ.TRADE_HAS_FINISHED", true)
		})
	}
}

// TestV3Pay: /v3/alipay/trade/pay routes to alipay.trade.pay like every other path; while
// the simulator has no such method it answers as Alipay answers an unknown one.
func TestV3Pay(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			_, cs := v3Setup(t, Config{})
			req := post("/v3/alipay/trade/pay", kv{"out_trade_no", "BP1"}, kv{"total_amount", "1.00"},
				kv{"subject", "s"}, kv{"auth_code", "281234567890123456"}, kv{"scene", "bar_code"})
			res := cs[st].call(t, req)
			if lookupMethod("alipay.trade.pay") == nil {
				wantErr(t, st, res, 400, "invalid-method", false)
				return
			}
			// served: the method's own answer, signed like every answer after authentication
			if res.status == http.StatusOK {
				wantOK(t, res)
			} else if !strings.HasPrefix(res.code, "ACQ.") || res.header.Get("alipay-signature") == "" {
				t.Fatalf("v3 pay: %d %s: %s", res.status, res.code, res.raw)
			}
		})
	}
}

// TestV3SharedTrades: a trade made over one protocol is the same trade over the other.
func TestV3SharedTrades(t *testing.T) {
	b, cs := v3Setup(t, Config{})
	d := wantOK(t, cs[styleNode].call(t, precreateV3("S1", "8.00", "测试商品", "")))
	if v2 := precreate(t, b, "S1", "8.00"); v2.QRCode != d["qr_code"] {
		t.Fatalf("v2 precreate of a v3 order gave another QR: %s vs %v", v2.QRCode, d["qr_code"])
	}
	if _, err := b.sb.Pay(testAppID, "S1", ""); err != nil {
		t.Fatal(err)
	}
	wantOK(t, cs[styleJava].call(t, post("/v3/alipay/trade/refund", kv{"out_trade_no", "S1"},
		kv{"refund_amount", "3.00"}, kv{"out_request_no", "SR1"})))
	rq, err := b.client.TradeFastPayRefundQuery(ctx, alipay.TradeFastPayRefundQuery{OutTradeNo: "S1", OutRequestNo: "SR1"})
	if err != nil || rq.RefundStatus != "REFUND_SUCCESS" || rq.RefundAmount != "3.00" {
		t.Fatalf("v2 refund query of a v3 refund: %v %+v", err, rq)
	}
	if _, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "S1", RefundAmount: "5.00", OutRequestNo: "SR2"}); err != nil {
		t.Fatal(err)
	}
	q := wantOK(t, cs[styleNode].call(t, post("/v3/alipay/trade/query", kv{"out_trade_no", "S1"})))
	if q["trade_status"] != "TRADE_CLOSED" { // refunded in full across both protocols
		t.Fatalf("v3 query after v2 refund %v", q)
	}
}

func TestV3Faults(t *testing.T) {
	for _, st := range styles {
		t.Run(string(st), func(t *testing.T) {
			b, cs := v3Setup(t, Config{})
			b.sb.SetFaults(Faults{Seed: 7, GatewaySystemError: 1, Methods: []string{"alipay.trade.precreate"}})
			res := cs[st].call(t, precreateV3("FT1", "1.00", "s", ""))
			if res.code != "unknow-error" && res.code != "ACQ.SYSTEM_ERROR" {
				t.Fatalf("system error: %d %s", res.status, res.raw)
			}
			wantErr(t, st, res, 500, res.code, true)
			if _, ok := b.sb.Trade(testAppID, "FT1"); ok {
				t.Fatal("a system error must not carry the call out")
			}
			wantErr(t, st, cs[st].call(t, post("/v3/alipay/trade/query", kv{"out_trade_no", "FT1"})), 400, "ACQ.TRADE_NOT_EXIST", true)
			b.sb.SetFaults(Faults{Seed: 7, GatewayTimeout: 1})
			c := *cs[st]
			req, _ := c.build(t, precreateV3("FT2", "1.00", "s", ""))
			if _, err := (&http.Client{Timeout: 300 * time.Millisecond}).Do(req); err == nil {
				t.Fatal("want no answer")
			}
			if _, ok := b.sb.Trade(testAppID, "FT2"); !ok {
				t.Fatal("a timed-out call is carried out")
			}
		})
	}
}
