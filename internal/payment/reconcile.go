package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// maxVerifyChecks bounds the extra queries of an order closed locally without Alipay's
// confirmation; after that only a notification can still report a late payment.
const maxVerifyChecks = 12

// ReconcileOrder brings one due order (claimed by the reconciler) in line with Alipay:
//   - pending, not expired: alipay.trade.query; a payment or a close found is applied, else
//     the next check is scheduled (CheckSchedule counted from creation, then every last
//     step, never later than the expiry);
//   - pending, expired: queried, then closed at Alipay (the QR dies) and locally with
//     payment.closed. When Alipay cannot be reached the close is retried until the last
//     schedule step past expiry, then done locally only (Alipay ends the trade itself at
//     time_expire) and the order is queried once more later, so that a payment that slipped
//     in is still recorded (late);
//   - closed with a check due: that final query; a payment found is recorded late.
//
// An unknown outcome is never decided: the order is checked again later.
func (s *Service) ReconcileOrder(ctx context.Context, o *Order) error {
	if o.Kind == KindBarcode {
		return s.reconcileCharge(ctx, o) // charge_settle.go
	}
	if o.Status == StatusPaid {
		return s.recheckPaid(ctx, o)
	}
	if o.Status != StatusPending {
		return s.verifyClosed(ctx, o)
	}
	t, err := s.channelFor(o).Query(ctx, o.OutTradeNo)
	if err != nil {
		s.log.WarnContext(ctx, "reconcile query failed", slog.String("out_trade_no", o.OutTradeNo), slog.String("code", string(ErrorCode(err))))
		return s.rescheduleOrder(ctx, o.OutTradeNo)
	}
	cur, err := s.applyTrade(ctx, o.OutTradeNo, t)
	if err != nil {
		return err
	}
	if cur.Status != StatusPending {
		return nil
	}
	if s.now().Before(cur.ExpiresAt) {
		return s.rescheduleOrder(ctx, cur.OutTradeNo)
	}
	return s.expire(ctx, cur)
}

// expire closes an expired pending order at Alipay and locally.
func (s *Service) expire(ctx context.Context, o *Order) error {
	err := s.channelFor(o).Close(ctx, o.OutTradeNo)
	var e *Error
	if errors.As(err, &e) && e.AlipaySubCode == "ACQ.TRADE_STATUS_ERROR" {
		// Paid (or closed) at Alipay in the meantime: record what Alipay says.
		cur, serr := s.Sync(ctx, o.OutTradeNo)
		if serr != nil || cur.Status == StatusPending {
			return s.rescheduleOrder(ctx, o.OutTradeNo)
		}
		return nil
	}
	confirmed := err == nil
	if !confirmed {
		if s.now().Before(o.ExpiresAt.Add(s.lastStep())) {
			s.log.WarnContext(ctx, "close at alipay failed; retrying", slog.String("out_trade_no", o.OutTradeNo), slog.String("code", string(ErrorCode(err))))
			return s.rescheduleOrder(ctx, o.OutTradeNo)
		}
		s.log.WarnContext(ctx, "close at alipay failed past expiry; closing locally", slog.String("out_trade_no", o.OutTradeNo),
			slog.String("code", string(ErrorCode(err))))
	}
	var closed *Order
	err = s.tx(ctx, func(q Queries) error {
		cur, err := q.GetOrder(ctx, o.OutTradeNo)
		if err != nil {
			return err
		}
		closed = nil
		changed, err := s.markClosed(ctx, q, cur)
		if err != nil || !changed {
			return err
		}
		closed = cur
		if !confirmed {
			next := s.now().Add(s.lastStep())
			cur.NextCheckAt, cur.CheckCount = &next, 0
			return q.UpdateOrder(ctx, cur)
		}
		return nil
	})
	if err == nil && closed != nil {
		s.changed(closed)
	}
	return err
}

// verifyClosed is the final query of an order closed without Alipay's confirmation.
func (s *Service) verifyClosed(ctx context.Context, o *Order) error {
	t, err := s.channelFor(o).Query(ctx, o.OutTradeNo)
	if err == nil {
		if _, err = s.applyTrade(ctx, o.OutTradeNo, t); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(q Queries) error {
		cur, gerr := q.GetOrder(ctx, o.OutTradeNo)
		if gerr != nil || cur.NextCheckAt == nil || cur.Status == StatusPending || cur.Status == StatusPaid {
			return gerr // paid (late): settleRefundedTrade set any check it needs
		}
		if err != nil && cur.CheckCount < maxVerifyChecks {
			next := s.now().Add(s.lastStep())
			cur.NextCheckAt, cur.CheckCount = &next, cur.CheckCount+1
		} else {
			cur.NextCheckAt = nil
		}
		return q.UpdateOrder(ctx, cur)
	})
}

// recheckPaid is the check of a paid order whose trade Alipay refunded in full while one
// of its refunds could not be settled yet (settleRefundedTrade): it queries and settles
// again, and stops checking once the order is in line (or after maxVerifyChecks failures).
func (s *Service) recheckPaid(ctx context.Context, o *Order) error {
	t, err := s.channelFor(o).Query(ctx, o.OutTradeNo)
	deferred := false
	if err == nil && refundedAtAlipay(t) && t.TotalAmount == o.TotalAmount {
		if _, err = s.applyTrade(ctx, o.OutTradeNo, t); err != nil {
			return err
		}
		cur, gerr := s.store.GetOrder(ctx, o.OutTradeNo)
		if gerr != nil {
			return gerr
		}
		deferred = cur.Status == StatusPaid
	}
	return s.tx(ctx, func(q Queries) error {
		cur, gerr := q.GetOrder(ctx, o.OutTradeNo)
		if gerr != nil || cur.NextCheckAt == nil {
			return gerr
		}
		switch {
		case err != nil && cur.CheckCount < maxVerifyChecks:
			next := s.now().Add(s.lastStep())
			cur.NextCheckAt, cur.CheckCount = &next, cur.CheckCount+1
		case err == nil && deferred && cur.Status == StatusPaid:
			next := s.now().Add(s.cfg.RefundQueryDelay)
			cur.NextCheckAt = &next
		default:
			cur.NextCheckAt = nil
		}
		return q.UpdateOrder(ctx, cur)
	})
}

// rescheduleOrder counts a check of a pending order and sets its next one.
func (s *Service) rescheduleOrder(ctx context.Context, outTradeNo string) error {
	return s.tx(ctx, func(q Queries) error {
		o, err := q.GetOrder(ctx, outTradeNo)
		if err != nil || o.NextCheckAt == nil {
			return err
		}
		now := s.now()
		o.CheckCount++
		next := s.nextCheck(o, now)
		o.NextCheckAt = &next
		return q.UpdateOrder(ctx, o)
	})
}

// nextCheck is when to query o again after o.CheckCount checks: the schedule counted from
// creation, then every last step, capped at the expiry; past the expiry, the first step.
func (s *Service) nextCheck(o *Order, now time.Time) time.Time {
	sched := s.cfg.CheckSchedule
	if !now.Before(o.ExpiresAt) {
		return now.Add(sched[0])
	}
	next := now.Add(s.lastStep())
	if o.CheckCount < len(sched) {
		next = o.CreatedAt.Add(sched[o.CheckCount])
	}
	if !next.After(now) {
		next = now.Add(sched[0])
	}
	if next.After(o.ExpiresAt) {
		next = o.ExpiresAt
	}
	return next
}

func (s *Service) lastStep() time.Duration { return s.cfg.CheckSchedule[len(s.cfg.CheckSchedule)-1] }

// ReconcileRefund resolves one due pending refund. Never sent: alipay.trade.refund
// (executeRefund). Sent: alipay.trade.fastpay.refund.query; REFUND_SUCCESS → succeeded
// (refund.succeeded); no such refund, asked at least RefundQueryDelay after the last
// attempt → failed (refund.failed), asked sooner → asked again then; anything unknown →
// checked again later. A refund that was sent is never sent again by the reconciler
// (docs/decisions.md, "A refund with an unknown answer").
func (s *Service) ReconcileRefund(ctx context.Context, r *Refund) error {
	if r.Status != RefundPending {
		return s.rescheduleRefund(ctx, r)
	}
	cur, err := s.store.GetRefund(ctx, r.OutTradeNo, r.RefundNo)
	if err != nil {
		return err
	}
	if cur.Status != RefundPending {
		return s.rescheduleRefund(ctx, cur)
	}
	if cur.AttemptedAt == nil {
		if _, err = s.executeRefund(ctx, cur); err == nil || !isUpstream(err) {
			return err
		}
		return nil // executeRefund scheduled the refund query
	}
	ch, err := s.channelOf(ctx, cur.OutTradeNo)
	if err != nil {
		return err
	}
	res, err := ch.RefundQuery(ctx, cur.OutTradeNo, cur.RefundNo)
	due := cur.AttemptedAt.Add(s.cfg.RefundQueryDelay)
	switch {
	case err != nil:
		s.log.WarnContext(ctx, "reconcile refund query failed", slog.String("out_trade_no", cur.OutTradeNo),
			slog.String("refund_no", cur.RefundNo), slog.String("code", string(ErrorCode(err))))
	case res.Succeeded:
		_, err = s.completeRefund(ctx, cur.OutTradeNo, cur.RefundNo, res.SucceededAt)
		return err
	case res.Accepted:
		// Accepted and settling at the channel (WeChat Pay's PROCESSING, ABNORMAL): asked again.
	case s.now().Before(due):
		return s.checkRefundAt(ctx, cur.OutTradeNo, cur.RefundNo, due)
	default:
		_, err = s.failRefund(ctx, cur, fmt.Sprintf("alipay.trade.fastpay.refund.query found no such refund %s after the last attempt",
			s.now().Sub(*cur.AttemptedAt).Truncate(time.Second)))
		if err != nil {
			return err
		}
	}
	return s.rescheduleRefund(ctx, cur)
}

// rescheduleRefund sets a pending refund's next check (back-off on CheckSchedule's steps),
// or clears the check of one that is no longer pending.
func (s *Service) rescheduleRefund(ctx context.Context, r *Refund) error {
	return s.tx(ctx, func(q Queries) error {
		cur, err := q.GetRefund(ctx, r.OutTradeNo, r.RefundNo)
		if err != nil || cur.NextCheckAt == nil {
			return err
		}
		if cur.Status != RefundPending {
			cur.NextCheckAt = nil
		} else {
			step := s.cfg.CheckSchedule[min(cur.CheckCount, len(s.cfg.CheckSchedule)-1)]
			next := s.now().Add(step)
			cur.NextCheckAt, cur.CheckCount = &next, cur.CheckCount+1
		}
		cur.UpdatedAt = s.now()
		return q.UpdateRefund(ctx, cur)
	})
}

// scheduleLateRefund records, in the transaction that recorded a late payment, a pending
// full refund due now when LatePayment is "refund"; the reconciler executes it.
func (s *Service) scheduleLateRefund(ctx context.Context, q Queries, o *Order) error {
	if !o.Late || s.cfg.LatePayment != LatePaymentRefund {
		return nil
	}
	now := s.now()
	no := "late-" + o.OutTradeNo[:min(len(o.OutTradeNo), 59)] // out_trade_no is ASCII
	r := &Refund{ClientID: o.ClientID, OutTradeNo: o.OutTradeNo, RefundNo: no, Amount: o.TotalAmount - o.RefundedAmount,
		Reason: "late payment for a closed order", Status: RefundPending, CreatedAt: now, UpdatedAt: now, NextCheckAt: &now}
	err := q.InsertRefund(ctx, r)
	if errors.Is(err, ErrDuplicate) {
		return nil
	}
	if err == nil {
		s.log.InfoContext(ctx, "late payment: automatic refund scheduled", slog.String("out_trade_no", o.OutTradeNo), slog.String("refund_no", no))
	}
	return err
}
