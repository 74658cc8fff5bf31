package alipay

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// codeWaitBuyer is alipay.trade.pay's "order success pay inprocess": the buyer must
// confirm on the phone, and the trade waits (WAIT_BUYER_PAY).
const codeWaitBuyer = "10003"

// sceneBarCode is a till scanning the buyer's payment code.
const sceneBarCode = "bar_code"

var _ payment.Charger = (*Channel)(nil)

// Pay calls alipay.trade.pay (scene bar_code) with the buyer's payment code. 10000 is a
// paid trade; 10003 a trade waiting for the buyer to confirm (PayResult.Paid false).
// Errors: UPSTREAM_REJECTED (the charge was refused: ACQ.PAYMENT_AUTH_CODE_INVALID,
// ACQ.BUYER_BALANCE_NOT_ENOUGH, ACQ.TRADE_HAS_SUCCESS for a repeat of a paid one…),
// UPSTREAM_UNAVAILABLE (outcome unknown: 20000, ACQ.SYSTEM_ERROR, timeouts, or an answer
// that cannot be read).
func (c *Channel) Pay(ctx context.Context, r payment.PayRequest) (*payment.PayResult, error) {
	p := alipay.TradePay{
		Trade: alipay.Trade{
			NotifyURL: r.NotifyURL, OutTradeNo: r.OutTradeNo, TotalAmount: r.TotalAmount.String(),
			Subject: r.Subject, Body: r.Body, ProductCode: productCode, StoreId: r.StoreID,
		},
		Scene: sceneBarCode, AuthCode: r.AuthCode, TerminalId: r.TerminalID, OperatorId: r.OperatorID,
	}
	var rsp alipay.TradePayRsp
	err := c.call(ctx, r.OutTradeNo, p, &rsp, &rsp.Error)
	var pe *payment.Error
	if errors.As(err, &pe) && pe.AlipayCode == codeWaitBuyer {
		return &payment.PayResult{}, nil
	}
	if err != nil {
		return nil, err
	}
	t := &payment.Trade{
		Status: payment.TradeSuccess, OutTradeNo: r.OutTradeNo, TradeNo: rsp.TradeNo,
		BuyerID: rsp.BuyerUserId, BuyerLogonID: rsp.BuyerLogonId,
	}
	if t.TotalAmount, err = payment.ParseAmount(rsp.TotalAmount); err != nil {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.pay: unreadable total_amount %q", rsp.TotalAmount)
	}
	if t.PaidAt, err = parseTime(rsp.GmtPayment); err != nil {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.pay: gmt_payment: %v", err)
	}
	return &payment.PayResult{Paid: true, Trade: t}, nil
}

// Cancel calls alipay.trade.cancel: Alipay closes the trade (action close) or, when the
// buyer had paid, refunds it in full (action refund). A trade closed already reads as
// action close. Errors: UPSTREAM_UNAVAILABLE also when Alipay asks for a retry
// (retry_flag Y); UPSTREAM_REJECTED (e.g. ACQ.TRADE_CANCEL_TIME_OUT).
func (c *Channel) Cancel(ctx context.Context, outTradeNo string) (*payment.CancelResult, error) {
	var rsp alipay.TradeCancelRsp
	err := c.call(ctx, outTradeNo, alipay.TradeCancel{OutTradeNo: outTradeNo}, &rsp, &rsp.Error)
	switch {
	case subCode(err) == subHasClose:
		return &payment.CancelResult{Action: payment.CancelActionClose}, nil
	case err != nil:
		return nil, err
	case rsp.RetryFlag == "Y":
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.cancel: Alipay asks for a retry")
	}
	switch rsp.Action {
	case payment.CancelActionClose, payment.CancelActionRefund, "":
	default:
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.cancel: unexpected action %q", rsp.Action)
	}
	return &payment.CancelResult{Action: rsp.Action, TradeNo: rsp.TradeNo}, nil
}

// maskAuthCode hides all but the last four digits of a payment code in the business
// parameters kept for the order timeline: the code can charge the buyer while it lives.
func maskAuthCode(biz string) string {
	if !strings.Contains(biz, `"auth_code"`) {
		return biz
	}
	var m map[string]any
	if json.Unmarshal([]byte(biz), &m) != nil {
		return biz
	}
	code, ok := m["auth_code"].(string)
	if !ok || code == "" {
		return biz
	}
	masked := []byte(code)
	for i := range len(masked) - min(4, len(masked)) {
		masked[i] = '*'
	}
	m["auth_code"] = string(masked)
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}
