package alipay

import (
	"context"
	"log/slog"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// refundRsp adds gmt_refund_pay, which the SDK's type leaves out.
type refundRsp struct {
	alipay.TradeRefundRsp
	GmtRefundPay string `json:"gmt_refund_pay"`
}

// refundQueryOptions asks the refund query for the refund time too.
var refundQueryOptions = []string{"gmt_refund_pay"}

// Refund calls alipay.trade.refund with out_request_no = RefundNo, so a retry with the same
// RefundNo and Amount never refunds twice. fund_change "Y" means the money moved. Alipay
// answers an idempotent repeat with fund_change "N"; that is confirmed by a refund query
// before Succeeded is set. Succeeded=false with a nil error means accepted but not yet
// confirmed: ask RefundQuery later. RefundFee is the trade's cumulative refunded total.
// Errors: UPSTREAM_REJECTED (e.g. ACQ.REASON_TRADE_REFUND_FEE_ERR for an over-refund,
// ACQ.DISCORDANT_REPEAT_REQUEST), UPSTREAM_UNAVAILABLE.
func (c *Channel) Refund(ctx context.Context, r payment.RefundRequest) (*payment.RefundResult, error) {
	p := alipay.TradeRefund{
		OutTradeNo:   r.OutTradeNo,
		RefundAmount: r.Amount.String(),
		RefundReason: r.Reason,
		OutRequestNo: r.RefundNo,
	}
	var rsp refundRsp
	if err := c.call(ctx, r.OutTradeNo, p, &rsp, &rsp.Error); err != nil {
		return nil, err
	}
	res := &payment.RefundResult{Found: true, Amount: r.Amount}
	if rsp.RefundFee != "" {
		fee, err := payment.ParseAmount(rsp.RefundFee)
		if err != nil {
			return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.refund: unreadable refund_fee %q", rsp.RefundFee)
		}
		res.RefundFee = fee
	}
	if rsp.FundChange == "Y" {
		res.Succeeded = true
		res.SucceededAt, _ = parseTime(rsp.GmtRefundPay)
		return res, nil
	}
	q, err := c.RefundQuery(ctx, r.OutTradeNo, r.RefundNo)
	if err != nil {
		c.log.Warn("refund accepted without fund change; confirming query failed",
			slog.String("out_trade_no", r.OutTradeNo), slog.String("refund_no", r.RefundNo), slog.String("error", err.Error()))
		return res, nil
	}
	if q.Found && q.Succeeded {
		res.Succeeded, res.SucceededAt = true, q.SucceededAt
	}
	return res, nil
}

// RefundQuery calls alipay.trade.fastpay.refund.query for one refund. Only
// refund_status=REFUND_SUCCESS is Succeeded; an absent refund_status means "not (yet)
// done", also when refund_amount is present, as Alipay's current documentation says
// (docs/decisions.md, "A refund with an unknown answer"). An answer without refund fields
// is Found=false. Amount is this refund's amount. Errors: UPSTREAM_REJECTED,
// UPSTREAM_UNAVAILABLE.
func (c *Channel) RefundQuery(ctx context.Context, outTradeNo, refundNo string) (*payment.RefundResult, error) {
	p := alipay.TradeFastPayRefundQuery{OutTradeNo: outTradeNo, OutRequestNo: refundNo, QueryOptions: refundQueryOptions}
	var rsp alipay.TradeFastPayRefundQueryRsp
	if err := c.call(ctx, outTradeNo, p, &rsp, &rsp.Error); err != nil {
		return nil, err
	}
	if rsp.RefundStatus == "" && rsp.RefundAmount == "" {
		return &payment.RefundResult{Found: false}, nil
	}
	res := &payment.RefundResult{Found: true}
	if rsp.RefundAmount != "" {
		a, err := payment.ParseAmount(rsp.RefundAmount)
		if err != nil {
			return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.fastpay.refund.query: unreadable refund_amount %q", rsp.RefundAmount)
		}
		res.Amount = a
	}
	if rsp.RefundStatus == refundSucceeded {
		res.Succeeded = true
		res.SucceededAt, _ = parseTime(rsp.GMTRefundPay)
	}
	return res, nil
}
