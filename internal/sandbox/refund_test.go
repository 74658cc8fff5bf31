package sandbox

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

// TestRefundQueryGmtRefundPayOnlyWhenAsked: fastpay.refund.query answers gmt_refund_pay
// only when query_options names it; a non-array query_options is refused.
func TestRefundQueryGmtRefundPayOnlyWhenAsked(t *testing.T) {
	b := setup(t, Config{})
	paidTrade(t, b, "GQ1")
	if r, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "GQ1", RefundAmount: "0.40", OutRequestNo: "r1"}); err != nil || r.IsFailure() {
		t.Fatal(err, r)
	}
	q, err := b.client.TradeFastPayRefundQuery(ctx, alipay.TradeFastPayRefundQuery{OutTradeNo: "GQ1", OutRequestNo: "r1"})
	if err != nil || q.RefundStatus != "REFUND_SUCCESS" || q.GMTRefundPay != "" {
		t.Fatalf("without query_options: %v %+v", err, q)
	}
	q, err = b.client.TradeFastPayRefundQuery(ctx, alipay.TradeFastPayRefundQuery{OutTradeNo: "GQ1", OutRequestNo: "r1",
		QueryOptions: []string{"refund_detail_item_list", "gmt_refund_pay"}})
	if err != nil || q.GMTRefundPay != b.clock.Now().In(shanghai).Format(alipayTimeLayout) {
		t.Fatalf("with gmt_refund_pay: %v %+v", err, q)
	}
	n := callRaw(t, b.sb, "POST", "", signed(b, map[string]string{"method": "alipay.trade.fastpay.refund.query",
		"biz_content": `{"out_trade_no":"GQ1","out_request_no":"r1","query_options":"gmt_refund_pay"}`}).Encode())
	if n["sub_code"] != "ACQ.INVALID_PARAMETER" {
		t.Fatalf("string query_options: %v", n)
	}
}

// TestRefundSpacing: with Config.RefundSpacing at Alipay's 3 s, a refund of the same
// trade within 3 s of the last one (even the repeat of that very refund) is refused
// before any idempotency check with 40005 isv.app-call-limited, unsigned, and moves no
// money; the spacing is on the sandbox clock and divided by TimeScale.
func TestRefundSpacing(t *testing.T) {
	for _, c := range []struct {
		scale float64
		gap   time.Duration
	}{{1, 3 * time.Second}, {3, time.Second}} {
		b := setup(t, Config{RefundSpacing: AlipayRefundSpacing, TimeScale: c.scale})
		paidTrade(t, b, "SP1") // 9.90
		refund := func(no, amount string) (*alipay.TradeRefundRsp, error) {
			return b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "SP1", RefundAmount: amount, OutRequestNo: no})
		}
		if r, err := refund("r1", "0.30"); err != nil || r.FundChange != "Y" {
			t.Fatal(err, r)
		}
		b.clock.Advance(c.gap - time.Millisecond)
		for _, no := range []string{"r1", "r2"} {
			_, err := refund(no, "0.30")
			var ae *alipay.Error
			if !errors.As(err, &ae) || ae.Code != "40005" || ae.SubCode != "isv.app-call-limited" {
				t.Fatalf("scale %v: %s within the gap: %v (want the SDK's unsigned-error path)", c.scale, no, err)
			}
		}
		if tr, _ := b.sb.Trade(testAppID, "SP1"); tr.RefundedAmount != "0.30" || len(tr.Refunds) != 1 {
			t.Fatalf("a refused refund moved money: %+v", tr)
		}
		b.clock.Advance(time.Millisecond)
		if r, err := refund("r1", "0.30"); err != nil || r.FundChange != "N" {
			t.Fatalf("repeat after the gap: %v %+v", err, r)
		}
		if r, err := refund("r2", "0.30"); err != nil || r.FundChange != "Y" || r.RefundFee != "0.60" {
			t.Fatalf("second refund after the gap: %v %+v", err, r)
		}
	}
	// off by default: back-to-back refunds go through
	b := setup(t, Config{})
	paidTrade(t, b, "SP2")
	for _, no := range []string{"a", "b"} {
		if r, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "SP2", RefundAmount: "0.10", OutRequestNo: no}); err != nil || r.IsFailure() {
			t.Fatal(err, r)
		}
	}
}

// TestFullyRefundedQueriesClosedWithPayment: a paid trade refunded in full queries as
// TRADE_CLOSED and still carries send_pay_date and total_amount.
func TestFullyRefundedQueriesClosedWithPayment(t *testing.T) {
	b := setup(t, Config{})
	paidTrade(t, b, "FR1")
	paidAt := b.clock.Now().In(shanghai).Format(alipayTimeLayout)
	b.clock.Advance(time.Minute)
	for no, amount := range map[string]string{"p1": "2.50", "p2": "7.40"} {
		if r, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "FR1", RefundAmount: amount, OutRequestNo: no}); err != nil || r.IsFailure() {
			t.Fatal(err, r)
		}
	}
	q, err := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "FR1"})
	if err != nil || q.TradeStatus != alipay.TradeStatusClosed || q.SendPayDate != paidAt || q.TotalAmount != "9.90" ||
		!strings.HasPrefix(q.TradeNo, "2026") {
		t.Fatalf("query after full refund: %v %+v", err, q)
	}
}
