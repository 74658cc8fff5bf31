package alipay

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestUnknownAnswers: 10003 (payment in progress) and an unsigned business answer are
// unknown outcomes, never refusals; only gateway-level errors may come unsigned
// (docs/decisions.md, "Which answers are unknown").
func TestUnknownAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, node string
		signed     bool
		want       payment.Code
	}{
		{"10003 signed", `{"code":"10003","msg":"order success pay inprocess","out_trade_no":"o-1"}`, true, payment.CodeUpstreamUnavailable},
		{"40004 unsigned", `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}`, false, payment.CodeUpstreamUnavailable},
		{"40004 refund fee unsigned", `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.REASON_TRADE_REFUND_FEE_ERR","sub_msg":"退款金额超限"}`, false, payment.CodeUpstreamUnavailable},
		{"40005 unsigned", `{"code":"40005","msg":"Call Limited","sub_code":"isv.app-call-limited","sub_msg":"调用频次超限"}`, false, payment.CodeUpstreamRejected},
		{"40002 unsigned", `{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}`, false, payment.CodeUpstreamRejected},
		{"40004 signed", `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.REASON_TRADE_REFUND_FEE_ERR","sub_msg":"退款金额超限"}`, true, payment.CodeUpstreamRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signer := testKey(t, 1)
			if !tc.signed {
				signer = nil
			}
			ch := gatewayChannel(t, fakeGateway(t, tc.node, signer), time.Second, nil)
			_, err := ch.Refund(context.Background(), payment.RefundRequest{OutTradeNo: "o-1", RefundNo: "r1", Amount: 100})
			if got := payment.ErrorCode(err); got != tc.want {
				t.Fatalf("refund answered %s: got %q (%v), want %q", tc.node, got, err, tc.want)
			}
		})
	}
	// A query whose unsigned answer claims there is no trade must not read as "not scanned".
	ch := gatewayChannel(t, fakeGateway(t, `{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}`, nil), time.Second, nil)
	if tr, err := ch.Query(context.Background(), "o-1"); payment.ErrorCode(err) != payment.CodeUpstreamUnavailable {
		t.Fatalf("unsigned ACQ.TRADE_NOT_EXIST: trade %+v, err %v; want an unknown outcome", tr, err)
	}
}
