package payment

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// checkRefund compares one refund of the bill with the books.
func (c *comparison) checkRefund(ctx context.Context, r BillRow) error {
	o, err := c.order(ctx, r.OutTradeNo)
	if err != nil {
		return err
	}
	if o == nil {
		c.add(finding{kind: KindUnknownOrder, ref: "refund:" + r.TradeNo + "/" + r.RefundNo, outTradeNo: r.OutTradeNo,
			refundNo: r.RefundNo, tradeNo: r.TradeNo, alipay: r.Amount, detail: fmt.Sprintf("bill line %d: a refund of an "+
				"out_trade_no f2fpay never issued (another system sharing the Alipay app?); not imported", r.Line)})
		return nil
	}
	f := finding{kind: KindRefundNotRecorded, ref: o.OutTradeNo + "/" + r.RefundNo, outTradeNo: o.OutTradeNo,
		refundNo: r.RefundNo, tradeNo: r.TradeNo, alipay: r.Amount}
	if !ValidID(r.RefundNo) {
		f.ref = o.OutTradeNo + "/@" + r.FinishedAt.UTC().Format(time.RFC3339)
		f.detail = fmt.Sprintf("bill line %d: the refund has no usable 退款批次号/请求号 (%q), so it cannot be matched",
			r.Line, truncate(r.RefundNo, 64))
		c.add(f)
		return nil
	}
	rf, err := c.s.store.GetRefund(ctx, o.OutTradeNo, r.RefundNo)
	switch {
	case errors.Is(err, ErrNotFound):
		rf = nil
	case err != nil:
		return err
	case rf.Status == RefundSucceeded:
		if rf.SucceededAt != nil && BillDayOf(*rf.SucceededAt) != c.day {
			c.shifted.RefundCount++
			c.shifted.RefundAmount += r.Amount
		}
		c.checkRefundAmount(r, rf.Amount)
		return nil
	case rf.Status == RefundFailed:
		f.ours = rf.Amount
		f.detail = fmt.Sprintf("bill line %d: recorded as failed here (%s), but Alipay's bill lists the refund: "+
			"the money went back to the buyer", r.Line, truncate(rf.FailureReason, 200))
		c.add(f)
		return nil
	}
	return c.recordRefund(ctx, o, rf, r, f)
}

// recordRefund records a refund the bill lists that is unknown or still pending here, once
// alipay.trade.fastpay.refund.query confirms it: a pending refund of ours completes; an
// unknown one is recorded at Alipay's amount, as a refund made outside f2fpay that a
// notification reports is (notify.go), with refund.succeeded.
func (c *comparison) recordRefund(ctx context.Context, o *Order, rf *Refund, r BillRow, f finding) error {
	ch := c.s.channelFor(o)
	state := "unknown here"
	if rf != nil {
		state, f.ours = "still pending here", rf.Amount
	}
	if !paidHere(o) {
		var err error
		if o, err = c.s.Sync(ctx, o.OutTradeNo); err != nil && !isUpstream(err) {
			return err
		}
	}
	res, err := ch.RefundQuery(ctx, r.OutTradeNo, r.RefundNo)
	switch {
	case err != nil && !isUpstream(err):
		return err
	case err != nil:
		f.detail = fmt.Sprintf("bill line %d: refunded at Alipay, %s; alipay.trade.fastpay.refund.query failed (%s), "+
			"asked again at the next run", r.Line, state, ErrorMessage(err))
	case !res.Found || !res.Succeeded || res.Amount <= 0 || !paidHere(o):
		f.detail = fmt.Sprintf("bill line %d: refunded at Alipay, %s, and Alipay's refund query (or the payment) does not confirm it",
			r.Line, state)
	default:
		if err := c.s.applyBillRefund(ctx, o.OutTradeNo, r.RefundNo, res); err != nil {
			return err
		}
		f.fixed, f.ours = true, res.Amount
		f.detail = fmt.Sprintf("bill line %d: refunded at Alipay, %s; alipay.trade.fastpay.refund.query confirmed %s "+
			"and it is recorded", r.Line, state, res.Amount)
		c.checkRefundAmount(r, res.Amount)
	}
	c.add(f)
	return nil
}

func (c *comparison) checkRefundAmount(r BillRow, ours Amount) {
	if r.Amount == ours {
		return
	}
	c.add(finding{kind: KindAmountMismatch, ref: r.OutTradeNo + "/" + r.RefundNo, outTradeNo: r.OutTradeNo,
		refundNo: r.RefundNo, tradeNo: r.TradeNo, ours: ours, alipay: r.Amount,
		detail: fmt.Sprintf("bill line %d: the refund is %s at Alipay, %s here", r.Line, r.Amount, ours)})
}

// applyBillRefund records a refund Alipay confirmed: a pending one completes
// (completeRefund); an unknown one goes through refundFromNotification, the path of
// outside refunds, at res.Amount.
func (s *Service) applyBillRefund(ctx context.Context, outTradeNo, refundNo string, res *RefundResult) error {
	if _, err := s.completeRefund(ctx, outTradeNo, refundNo, res.SucceededAt); !errors.Is(err, ErrNotFound) {
		return err
	}
	var changed *Order
	err := s.tx(ctx, func(q Queries) error {
		o, err := q.GetOrder(ctx, outTradeNo)
		if err != nil {
			return err
		}
		n := &Notification{OutTradeNo: outTradeNo, OutBizNo: refundNo, HasRefund: true, GmtRefund: res.SucceededAt}
		ok, err := s.refundFromNotification(ctx, q, o, n, res.Amount)
		if ok {
			changed = o
		}
		return err
	})
	if err == nil && changed != nil {
		s.changed(changed)
	}
	return err
}
