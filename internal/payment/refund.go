package payment

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Refund refunds part or all of a paid order, idempotent by refund_no: the same refund_no
// with the same amount and reason returns the existing refund (retrying Alipay while it is
// pending). The sum of pending and succeeded refunds never exceeds the total.
// Errors: INVALID_PARAMETER, NOT_FOUND, CONFLICT (refund_no reused with other parameters),
// UNPROCESSABLE (unpaid, or above the refundable amount), UPSTREAM_REJECTED (the refund is
// then failed), UPSTREAM_UNAVAILABLE (the refund stays pending; safe to repeat).
func (s *Service) Refund(ctx context.Context, clientID string, in RefundInput) (*Refund, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if _, err := s.clientOrder(ctx, clientID, in.OutTradeNo); err != nil {
		return nil, err
	}
	var r *Refund
	err := s.tx(ctx, func(q Queries) error {
		var err error
		r, err = s.reserveRefund(ctx, q, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Status != RefundPending {
		return r, nil
	}
	return s.executeRefund(ctx, r)
}

// reserveRefund inserts a pending refund after checking the refundable amount, or returns
// the existing refund with that number.
func (s *Service) reserveRefund(ctx context.Context, q Queries, in RefundInput) (*Refund, error) {
	o, err := q.GetOrder(ctx, in.OutTradeNo)
	if err != nil {
		return nil, err
	}
	existing, err := q.GetRefund(ctx, in.OutTradeNo, in.RefundNo)
	if err == nil {
		if existing.Amount != in.Amount || existing.Reason != in.Reason {
			return nil, Errorf(CodeConflict, "refund_no %s already exists with other parameters", in.RefundNo)
		}
		return existing, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if o.Status != StatusPaid {
		return nil, Errorf(CodeUnprocessable, "order %s is %s; only a paid order can be refunded", o.OutTradeNo, o.Status)
	}
	refunds, err := q.ListRefunds(ctx, o.OutTradeNo)
	if err != nil {
		return nil, err
	}
	reserved := Amount(0)
	for _, r := range refunds {
		if r.Status != RefundFailed {
			reserved += r.Amount
		}
	}
	if reserved+in.Amount > o.TotalAmount {
		return nil, Errorf(CodeUnprocessable, "refund_amount %s is above the refundable amount %s", in.Amount, o.TotalAmount-reserved)
	}
	now := s.now()
	check := now.Add(time.Minute)
	r := &Refund{
		ClientID: o.ClientID, OutTradeNo: o.OutTradeNo, RefundNo: in.RefundNo, Amount: in.Amount,
		Reason: in.Reason, Status: RefundPending, CreatedAt: now, UpdatedAt: now, NextCheckAt: &check,
	}
	if err := q.InsertRefund(ctx, r); err != nil {
		return nil, err
	}
	// Touch the order so that a concurrent reservation on it goes stale and re-reads the sum.
	o.UpdatedAt = now
	return r, q.UpdateOrder(ctx, o)
}

// executeRefund asks Alipay for a pending refund and records the outcome. Each call to
// Alipay is one attempt opened by beginRefundAttempt, so a refund that is no longer pending
// (failed above all) never reaches Alipay again. An unknown outcome is never decided here:
// a refund query that finds the refund done completes it, anything else leaves it pending
// for the reconciler, which asks Alipay's refund query again once RefundQueryDelay has
// passed since the attempt. A refusal fails the refund only when it answers the first
// attempt: an earlier attempt's outcome was unknown (or is still in flight), and Alipay's
// gateway refuses repeats (40005 isv.app-call-limited, …) before any idempotency check,
// so a refusal says nothing about the refund (docs/decisions.md, "A refund with an
// unknown answer").
func (s *Service) executeRefund(ctx context.Context, r *Refund) (*Refund, error) {
	cur, first, err := s.beginRefundAttempt(ctx, r.OutTradeNo, r.RefundNo)
	if err != nil || cur.Status != RefundPending {
		return cur, err
	}
	ch, err := s.channelOf(ctx, cur.OutTradeNo)
	if err != nil {
		return nil, err
	}
	res, err := ch.Refund(ctx, RefundRequest{OutTradeNo: cur.OutTradeNo, RefundNo: cur.RefundNo, Amount: cur.Amount, Reason: cur.Reason})
	switch {
	case err == nil && res.Succeeded:
		return s.completeRefund(ctx, cur.OutTradeNo, cur.RefundNo, res.SucceededAt)
	case err == nil || IsUnknownOutcome(err):
		accepted := err == nil && res.Accepted
		res, qerr := ch.RefundQuery(ctx, cur.OutTradeNo, cur.RefundNo)
		if qerr == nil && res.Succeeded {
			return s.completeRefund(ctx, cur.OutTradeNo, cur.RefundNo, res.SucceededAt)
		}
		if accepted {
			// Pending: settled by its notification or the reconciler's refund query.
			return cur, s.awaitRefundQuery(ctx, cur, nil)
		}
		if err == nil {
			err = Errorf(CodeUpstreamUnavailable, "alipay accepted the refund but has not confirmed it yet; repeat the request or query the refund")
		}
		return nil, s.awaitRefundQuery(ctx, cur, err)
	case !first:
		s.log.WarnContext(ctx, "repeat of a refund with an unknown outcome refused; it stays pending",
			slog.String("out_trade_no", cur.OutTradeNo), slog.String("refund_no", cur.RefundNo), slog.String("reason", refusalReason(err)))
		return nil, s.awaitRefundQuery(ctx, cur, Errorf(CodeUpstreamUnavailable,
			"alipay refused this repeat (%s); an earlier attempt's outcome is unknown, so the refund stays pending until Alipay's refund query settles it", refusalReason(err)))
	default:
		if _, ferr := s.failRefund(ctx, cur, refusalReason(err)); ferr != nil {
			return nil, ferr
		}
		return nil, err
	}
}

// refusalReason is the failure reason of a refund Alipay refused.
func refusalReason(err error) string {
	var e *Error
	if errors.As(err, &e) && e.AlipaySubCode != "" {
		return e.AlipaySubCode + ": " + e.AlipaySubMsg
	}
	return ErrorMessage(err)
}

// awaitRefundQuery schedules the reconciler's refund query of a pending refund for
// RefundQueryDelay after its last attempt, and returns err.
func (s *Service) awaitRefundQuery(ctx context.Context, attempt *Refund, err error) error {
	at := s.now().Add(s.cfg.RefundQueryDelay)
	if attempt.AttemptedAt != nil {
		at = attempt.AttemptedAt.Add(s.cfg.RefundQueryDelay)
	}
	if serr := s.checkRefundAt(ctx, attempt.OutTradeNo, attempt.RefundNo, at); serr != nil {
		return serr
	}
	return err
}

// checkRefundAt sets a pending refund's next check to at (earlier only).
func (s *Service) checkRefundAt(ctx context.Context, outTradeNo, refundNo string, at time.Time) error {
	return s.tx(ctx, func(q Queries) error {
		r, err := q.GetRefund(ctx, outTradeNo, refundNo)
		if err != nil || r.Status != RefundPending || (r.NextCheckAt != nil && !r.NextCheckAt.After(at)) {
			return err
		}
		r.NextCheckAt = &at
		return q.UpdateRefund(ctx, r)
	})
}

// beginRefundAttempt opens one attempt at Alipay for a refund: inside a transaction it
// re-reads the refund and, if it is still pending, records the attempt's time and bumps
// its version (the attempt's mark). It returns the refund as stored, and whether this is
// its first attempt; a refund that is not pending must not be sent.
func (s *Service) beginRefundAttempt(ctx context.Context, outTradeNo, refundNo string) (*Refund, bool, error) {
	var out *Refund
	var first bool
	err := s.tx(ctx, func(q Queries) error {
		r, err := q.GetRefund(ctx, outTradeNo, refundNo)
		if err != nil {
			return err
		}
		out = r
		if r.Status != RefundPending {
			return nil
		}
		now := s.now()
		first = r.AttemptedAt == nil
		r.UpdatedAt, r.AttemptedAt = now, &now
		return q.UpdateRefund(ctx, r)
	})
	return out, first, err
}

// completeRefund marks a refund succeeded, adds it to the order (refunded in full → status
// refunded) and writes refund.succeeded; a refund already succeeded is returned unchanged.
func (s *Service) completeRefund(ctx context.Context, outTradeNo, refundNo string, at *time.Time) (*Refund, error) {
	var out *Refund
	var o *Order
	err := s.tx(ctx, func(q Queries) error {
		r, err := q.GetRefund(ctx, outTradeNo, refundNo)
		if err != nil {
			return err
		}
		out, o = r, nil
		if r.Status == RefundSucceeded {
			return nil
		}
		ord, err := q.GetOrder(ctx, outTradeNo)
		if err != nil {
			return err
		}
		o = ord
		return s.applyRefund(ctx, q, o, r, at)
	})
	if err == nil && o != nil {
		s.changed(o)
	}
	return out, err
}

// applyRefund records a succeeded refund inside q's transaction.
func (s *Service) applyRefund(ctx context.Context, q Queries, o *Order, r *Refund, at *time.Time) error {
	now := s.now()
	if at == nil {
		at = &now
	}
	r.Status, r.SucceededAt, r.UpdatedAt, r.NextCheckAt, r.FailureReason = RefundSucceeded, at, now, nil, ""
	if err := q.UpdateRefund(ctx, r); err != nil {
		return err
	}
	o.RefundedAmount += r.Amount
	if o.RefundedAmount >= o.TotalAmount && o.Status == StatusPaid {
		o.Status = StatusRefunded
	}
	o.UpdatedAt = now
	if err := q.UpdateOrder(ctx, o); err != nil {
		return err
	}
	ev, err := s.newEvent(EventRefundSucceeded, EventRefundSucceeded+":"+o.OutTradeNo+":"+r.RefundNo, o.ClientID, o.OutTradeNo, RefundView(r))
	if err != nil {
		return err
	}
	return q.InsertEvent(ctx, ev)
}

// failRefund marks a refund failed and writes refund.failed, but only if it is still the
// attempt that opened it: pending, at the version beginRefundAttempt gave it. Otherwise
// another attempt is in flight and decides.
func (s *Service) failRefund(ctx context.Context, attempt *Refund, reason string) (*Refund, error) {
	var out *Refund
	err := s.tx(ctx, func(q Queries) error {
		r, err := q.GetRefund(ctx, attempt.OutTradeNo, attempt.RefundNo)
		if err != nil {
			return err
		}
		out = r
		if r.Status != RefundPending || r.Version != attempt.Version {
			return nil
		}
		now := s.now()
		r.Status, r.FailureReason, r.UpdatedAt, r.NextCheckAt = RefundFailed, reason, now, nil
		if err := q.UpdateRefund(ctx, r); err != nil {
			return err
		}
		ev, err := s.newEvent(EventRefundFailed, EventRefundFailed+":"+r.OutTradeNo+":"+r.RefundNo, r.ClientID, r.OutTradeNo, RefundView(r))
		if err != nil {
			return err
		}
		return q.InsertEvent(ctx, ev)
	})
	return out, err
}

// GetRefund returns one refund of the client's order. Errors: NOT_FOUND.
func (s *Service) GetRefund(ctx context.Context, clientID, outTradeNo, refundNo string) (*Refund, error) {
	if _, err := s.clientOrder(ctx, clientID, outTradeNo); err != nil {
		return nil, err
	}
	if !ValidID(refundNo) {
		return nil, Errorf(CodeNotFound, "refund not found")
	}
	r, err := s.store.GetRefund(ctx, outTradeNo, refundNo)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "refund %s of order %s not found", refundNo, outTradeNo)
	}
	return r, err
}
