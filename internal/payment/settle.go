package payment

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// closedRefundNo numbers the refund recorded for a trade Alipay reports paid and then
// refunded in full when no refund of the order's books, nor Alipay's refund under the
// out_trade_no, accounts for it (a refund made in Alipay's portal whose notification was
// lost).
const closedRefundNo = "alipay_closed"

// refundedAtAlipay reports whether t is a trade that was paid and is now closed: Alipay
// refunded it in full (alipay.trade.query keeps send_pay_date on such a trade).
func refundedAtAlipay(t *Trade) bool { return t.Status == TradeClosed && t.PaidAt != nil }

// settleRefundedTrade brings a paid order whose trade Alipay reports refunded in full in
// line with Alipay (docs/decisions.md, "A trade paid, then refunded in full at Alipay"):
//   - each pending refund is settled by Alipay's refund query: done → succeeded; no such
//     refund → failed (the trade is closed, it can never be carried out), but only once
//     RefundQueryDelay has passed since its last attempt;
//   - what then remains unrefunded in the books is recorded as one refund: under the
//     out_trade_no when Alipay's refund query knows a refund of that number (the number a
//     refund made without out_request_no takes, e.g. by alipay.trade.cancel), else under
//     closedRefundNo; the order ends refunded with refund.succeeded.
//
// While a pending refund cannot be settled yet (too soon, or the query failed), the order
// is checked again by the reconciler after RefundQueryDelay. deferred reports that case.
func (s *Service) settleRefundedTrade(ctx context.Context, outTradeNo string) (deferred bool, err error) {
	refunds, err := s.store.ListRefunds(ctx, outTradeNo)
	if err != nil {
		return false, err
	}
	ch, err := s.channelOf(ctx, outTradeNo)
	if err != nil {
		return false, err
	}
	for _, r := range refunds {
		if r.Status != RefundPending {
			continue
		}
		if r.AttemptedAt != nil && s.now().Before(r.AttemptedAt.Add(s.cfg.RefundQueryDelay)) {
			deferred = true
			continue
		}
		res, qerr := ch.RefundQuery(ctx, outTradeNo, r.RefundNo)
		switch {
		case qerr != nil:
			deferred = true
		case res.Succeeded:
			_, err = s.completeRefund(ctx, outTradeNo, r.RefundNo, res.SucceededAt)
		default:
			_, err = s.failRefund(ctx, r, "the trade was refunded in full at Alipay without this refund "+
				"(alipay.trade.fastpay.refund.query found no such refund)")
		}
		if err != nil {
			return false, err
		}
	}
	if deferred {
		return true, s.checkOrderAt(ctx, outTradeNo, s.now().Add(s.cfg.RefundQueryDelay))
	}
	o, err := s.store.GetOrder(ctx, outTradeNo)
	if err != nil || o.Status != StatusPaid || o.RefundedAmount >= o.TotalAmount {
		return false, err
	}
	no := closedRefundNo
	if _, gerr := s.store.GetRefund(ctx, outTradeNo, outTradeNo); errors.Is(gerr, ErrNotFound) {
		res, qerr := ch.RefundQuery(ctx, outTradeNo, outTradeNo)
		if qerr != nil {
			return true, s.checkOrderAt(ctx, outTradeNo, s.now().Add(s.cfg.RefundQueryDelay))
		}
		if res.Succeeded && res.Amount == o.TotalAmount-o.RefundedAmount {
			no = outTradeNo
		}
	}
	return false, s.recordClosedRefund(ctx, outTradeNo, no)
}

// recordClosedRefund records, in one transaction, the refund of what remains unrefunded
// in the books of a paid order whose trade Alipay refunded in full.
func (s *Service) recordClosedRefund(ctx context.Context, outTradeNo, refundNo string) error {
	var changed *Order
	err := s.tx(ctx, func(q Queries) error {
		changed = nil
		o, err := q.GetOrder(ctx, outTradeNo)
		if err != nil || o.Status != StatusPaid || o.RefundedAmount >= o.TotalAmount {
			return err
		}
		now := s.now()
		r := &Refund{ClientID: o.ClientID, OutTradeNo: o.OutTradeNo, RefundNo: refundNo, Amount: o.TotalAmount - o.RefundedAmount,
			Reason: "refunded in full at Alipay", Status: RefundPending, CreatedAt: now, UpdatedAt: now}
		if err := q.InsertRefund(ctx, r); err != nil {
			return err
		}
		o.NextCheckAt = nil
		changed = o
		return s.applyRefund(ctx, q, o, r, nil)
	})
	if err == nil && changed != nil {
		s.log.InfoContext(ctx, "trade refunded in full at alipay recorded", slog.String("out_trade_no", outTradeNo),
			slog.String("refund_no", refundNo))
		s.changed(changed)
	}
	return err
}

// checkOrderAt sets an order's next reconciler check to at.
func (s *Service) checkOrderAt(ctx context.Context, outTradeNo string, at time.Time) error {
	return s.tx(ctx, func(q Queries) error {
		o, err := q.GetOrder(ctx, outTradeNo)
		if err != nil {
			return err
		}
		o.NextCheckAt = &at
		return q.UpdateOrder(ctx, o)
	})
}
