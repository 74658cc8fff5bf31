package payment

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"time"
)

// defaultChargePoll is how often a charge waiting for the buyer is queried (Config.ChargePoll).
const defaultChargePoll = 3 * time.Second

// cancelAttempts bounds the cancels a charge's own settle loop sends at its deadline
// before it hands the order to the reconciler.
const cancelAttempts = 3

// refundNoCancel is the refund_no of the refund alipay.trade.cancel made (action refund).
const refundNoCancel = "cancel"

// Charge takes a barcode payment: alipay.trade.pay with the buyer's payment code, then the
// settle loop (docs/decisions.md, "Barcode payment: the settle rules"): 10000 → paid;
// 10003 or an unknown outcome → queried every ChargePoll until paid or the deadline
// (TimeoutSeconds), then alipay.trade.cancel (closed, or refunded when the buyer had paid).
// With hold it returns when the order is settled or ctx ends, else at once with the
// pending order; the settle loop goes on either way. The same out_trade_no with the same
// parameters returns that order (created false) and never charges again.
// Errors: INVALID_PARAMETER, CONFLICT (out_trade_no taken with other parameters or by a
// QR order), UNPROCESSABLE (the channel takes no barcode payments), UPSTREAM_UNAVAILABLE
// (the circuit breaker refuses new charges; safe to repeat), PAYMENT_FAILED (Alipay
// refused the charge; returned with the closed order).
func (s *Service) Charge(ctx context.Context, clientID string, req ChargeRequest, hold bool) (*Order, bool, error) {
	if err := req.Validate(); err != nil {
		return nil, false, err
	}
	if req.NotifyURL != "" {
		if err := s.checkWebhookTarget("notify_url", req.NotifyURL); err != nil {
			return nil, false, err
		}
	}
	if req.TimeoutSeconds == 0 {
		req.TimeoutSeconds = int(DefaultChargeTimeout / time.Second)
	}
	ch, ok := s.channel.(Charger)
	if !ok {
		return nil, false, Errorf(CodeUnprocessable, "barcode payment needs the Alipay channel")
	}
	o, err := s.store.GetOrder(ctx, req.OutTradeNo)
	switch {
	case err == nil:
		return s.repeatCharge(ctx, clientID, o, req, hold)
	case !errors.Is(err, ErrNotFound):
		return nil, false, err
	}
	if a, ok := s.channel.(Admitter); ok {
		if err := a.AdmitNew(); err != nil {
			return nil, false, err
		}
	}
	now := s.now()
	deadline := now.Add(time.Duration(req.TimeoutSeconds) * time.Second)
	// Should this process die mid-charge, the reconciler takes the order over once the
	// settle loop would have ended (reconcileCharge).
	takeover := deadline.Add(s.cfg.CheckSchedule[0])
	o = &Order{
		ClientID: clientID, OutTradeNo: req.OutTradeNo, TotalAmount: req.TotalAmount, Subject: req.Subject,
		Body: req.Body, Status: StatusPending, CashierToken: randomToken(32), NotifyURL: req.NotifyURL,
		Metadata: req.Metadata, CreatedAt: now, UpdatedAt: now, ExpiresAt: deadline, NextCheckAt: &takeover,
		Kind: KindBarcode, AuthCodeSHA256: authCodeDigest(req.AuthCode), TimeoutSeconds: req.TimeoutSeconds,
	}
	if err := s.store.InsertOrder(ctx, o); err != nil {
		if errors.Is(err, ErrDuplicate) { // a concurrent charge won the race
			existing, gerr := s.store.GetOrder(ctx, req.OutTradeNo)
			if gerr != nil {
				return nil, false, gerr
			}
			return s.repeatCharge(ctx, clientID, existing, req, hold)
		}
		return nil, false, err
	}
	s.changed(o)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The charge settles whatever becomes of the request that started it.
		s.settleCharge(context.WithoutCancel(ctx), ch, o, req)
	}()
	if !hold {
		return o, true, nil
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	cur, err := s.store.GetOrder(context.WithoutCancel(ctx), o.OutTradeNo)
	if err != nil {
		return nil, true, err
	}
	return cur, true, chargeOutcome(cur)
}

// repeatCharge answers a charge whose out_trade_no exists: the same charge is returned as
// it stands (held until settled when hold), anything else is a CONFLICT.
func (s *Service) repeatCharge(ctx context.Context, clientID string, o *Order, req ChargeRequest, hold bool) (*Order, bool, error) {
	if o.ClientID != clientID || !sameCharge(o, req) {
		return nil, false, Errorf(CodeConflict, "out_trade_no %s already exists with other parameters", req.OutTradeNo)
	}
	if hold && o.Status == StatusPending {
		o = s.waitCharge(ctx, o)
	}
	return o, false, chargeOutcome(o)
}

func sameCharge(o *Order, r ChargeRequest) bool {
	return o.Kind == KindBarcode && o.TotalAmount == r.TotalAmount && o.Subject == r.Subject && o.Body == r.Body &&
		o.AuthCodeSHA256 == authCodeDigest(r.AuthCode) && o.TimeoutSeconds == r.TimeoutSeconds &&
		o.NotifyURL == r.NotifyURL && maps.Equal(nonNil(o.Metadata), nonNil(r.Metadata))
}

// waitCharge reads a pending charge until it settles, its settle loop's cancels are over
// or ctx ends, and returns it as it then stands.
func (s *Service) waitCharge(ctx context.Context, o *Order) *Order {
	until := o.ExpiresAt.Add(time.Duration(cancelAttempts) * s.chargePoll())
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for o.Status == StatusPending && s.now().Before(until) {
		select {
		case <-ctx.Done():
			return o
		case <-tick.C:
		}
		if cur, err := s.store.GetOrder(ctx, o.OutTradeNo); err == nil {
			o = cur
		}
	}
	return o
}

// chargeOutcome is the error a settled charge answers with: PAYMENT_FAILED with Alipay's
// codes when Alipay refused it, else nil.
func chargeOutcome(o *Order) error {
	if o.Kind != KindBarcode || o.Status != StatusClosed || o.FailureCode == "" {
		return nil
	}
	msg := o.FailureReason
	if msg == "" {
		msg = o.FailureSubCode
	}
	return &Error{Code: CodePaymentFailed, Message: "the payment failed: " + msg,
		AlipayCode: o.FailureCode, AlipaySubCode: o.FailureSubCode, AlipaySubMsg: o.FailureReason}
}

func (s *Service) chargePoll() time.Duration {
	if s.cfg.ChargePoll > 0 {
		return s.cfg.ChargePoll
	}
	return defaultChargePoll
}

// settleCharge sends the one alipay.trade.pay of a new barcode order and settles it.
func (s *Service) settleCharge(ctx context.Context, ch Charger, o *Order, req ChargeRequest) {
	res, err := ch.Pay(ctx, PayRequest{
		OutTradeNo: o.OutTradeNo, TotalAmount: o.TotalAmount, Subject: o.Subject, Body: o.Body,
		AuthCode: req.AuthCode, StoreID: req.StoreID, TerminalID: req.TerminalID, OperatorID: req.OperatorID,
		NotifyURL: s.cfg.PublicURL + s.cfg.NotifyPath,
	})
	var e *Error
	switch {
	case err == nil && res.Paid:
		if _, err := s.applyTrade(ctx, o.OutTradeNo, res.Trade); err != nil {
			s.log.Error("recording a paid charge failed; the reconciler will query it",
				slog.String("out_trade_no", o.OutTradeNo), slog.Any("err", err))
		}
		return
	case err == nil: // 10003: the buyer confirms on the phone
		s.pollCharge(ctx, ch, o, false)
	case errors.As(err, &e) && e.Code == CodeUpstreamRejected && e.AlipaySubCode != "ACQ.TRADE_HAS_SUCCESS":
		s.failCharge(ctx, o.OutTradeNo, e)
	default: // unknown outcome (or a paid repeat): query before anything else
		s.log.Warn("charge outcome unknown; querying", slog.String("out_trade_no", o.OutTradeNo),
			slog.String("code", string(ErrorCode(err))))
		s.pollCharge(ctx, ch, o, true)
	}
}

// pollCharge queries a charge every ChargePoll until Alipay reports it paid or closed or
// its deadline passes, then cancels it. queryFirst queries at once (an unknown outcome).
func (s *Service) pollCharge(ctx context.Context, ch Charger, o *Order, queryFirst bool) {
	poll := s.chargePoll()
	for first := true; ; first = false {
		if !first || !queryFirst {
			wait := min(poll, max(o.ExpiresAt.Sub(s.now()), 0))
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		}
		if settled, err := s.queryCharge(ctx, o.OutTradeNo); err == nil && settled {
			return
		}
		if !s.now().Before(o.ExpiresAt) {
			break
		}
	}
	s.cancelCharge(ctx, ch, o.OutTradeNo, cancelAttempts)
}

// queryCharge asks Alipay about a charge and records a payment or a close; settled reports
// that the order is no longer pending (a notification may have settled it meanwhile).
func (s *Service) queryCharge(ctx context.Context, outTradeNo string) (settled bool, err error) {
	cur, err := s.store.GetOrder(ctx, outTradeNo)
	if err != nil || cur.Status != StatusPending {
		return err == nil, err
	}
	t, err := s.channel.Query(ctx, outTradeNo)
	if err != nil {
		return false, err
	}
	if t.Status == TradeClosed && t.PaidAt != nil {
		// Paid, then refunded in full: only a cancel of this charge refunds it so (an
		// answer that never reached us); record both, as the cancel's answer would have.
		return true, s.applyCancel(ctx, outTradeNo, &CancelResult{Action: CancelActionRefund, TradeNo: t.TradeNo})
	}
	if cur, err = s.applyTrade(ctx, outTradeNo, t); err != nil {
		return false, err
	}
	return cur.Status != StatusPending, nil
}

// failCharge closes a charge Alipay refused, with its codes, and writes payment.closed.
func (s *Service) failCharge(ctx context.Context, outTradeNo string, e *Error) {
	var closed *Order
	err := s.tx(ctx, func(q Queries) error {
		o, err := q.GetOrder(ctx, outTradeNo)
		if err != nil || o.Status != StatusPending {
			return err
		}
		o.FailureCode, o.FailureSubCode, o.FailureReason = e.AlipayCode, e.AlipaySubCode, e.AlipaySubMsg
		if o.FailureReason == "" {
			o.FailureReason = e.Message
		}
		changed, err := s.markClosed(ctx, q, o)
		if changed {
			closed = o
		}
		return err
	})
	if err != nil {
		s.log.Error("recording a refused charge failed; the reconciler will cancel it",
			slog.String("out_trade_no", outTradeNo), slog.Any("err", err))
		return
	}
	if closed != nil {
		s.log.Info("charge refused", slog.String("out_trade_no", outTradeNo),
			slog.String("alipay_code", e.AlipayCode), slog.String("alipay_sub_code", e.AlipaySubCode))
		s.changed(closed)
	}
}

// cancelCharge ends a charge that did not settle by its deadline with alipay.trade.cancel,
// up to attempts times while the outcome is unknown; a refusal is resolved by a query.
// What is still open afterwards is handed to the reconciler.
func (s *Service) cancelCharge(ctx context.Context, ch Charger, outTradeNo string, attempts int) {
	for i := range attempts {
		if i > 0 {
			t := time.NewTimer(s.chargePoll())
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		res, err := ch.Cancel(ctx, outTradeNo)
		if err == nil {
			if err = s.applyCancel(ctx, outTradeNo, res); err == nil {
				return
			}
		}
		s.log.Warn("cancel of a charge failed", slog.String("out_trade_no", outTradeNo),
			slog.String("code", string(ErrorCode(err))), slog.String("error", err.Error()))
		if ErrorCode(err) == CodeUpstreamRejected {
			// Alipay would not cancel (e.g. ACQ.TRADE_CANCEL_TIME_OUT): it knows the trade's
			// state, so ask it.
			if settled, qerr := s.queryCharge(ctx, outTradeNo); qerr == nil && settled {
				return
			}
			break
		}
	}
	s.handOverCharge(ctx, outTradeNo)
}

// handOverCharge leaves a charge that is still pending to the reconciler, due at once.
func (s *Service) handOverCharge(ctx context.Context, outTradeNo string) {
	err := s.tx(ctx, func(q Queries) error {
		o, err := q.GetOrder(ctx, outTradeNo)
		if err != nil || o.Status != StatusPending {
			return err
		}
		next := s.now().Add(s.cfg.CheckSchedule[0])
		o.NextCheckAt = &next
		o.CheckCount++
		return q.UpdateOrder(ctx, o)
	})
	if err != nil {
		s.log.Error("handing a charge to the reconciler failed", slog.String("out_trade_no", outTradeNo), slog.Any("err", err))
	}
}

// applyCancel records what alipay.trade.cancel did: close → closed (payment.closed);
// refund → the buyer had paid and got the money back: paid (payment.succeeded), then a
// succeeded full refund "cancel" (refund.succeeded), status refunded, in one transaction.
func (s *Service) applyCancel(ctx context.Context, outTradeNo string, res *CancelResult) error {
	var changed *Order
	err := s.tx(ctx, func(q Queries) error {
		o, err := q.GetOrder(ctx, outTradeNo)
		if err != nil {
			return err
		}
		changed = nil
		if res.Action != CancelActionRefund {
			ok, err := s.markClosed(ctx, q, o)
			if ok {
				changed = o
			}
			return err
		}
		tradeNo := o.TradeNo
		if tradeNo == "" {
			tradeNo = res.TradeNo
		}
		if _, err := s.markPaid(ctx, q, o, tradeNo, o.BuyerID, o.BuyerLogonID, nil); err != nil {
			return err
		}
		if o.Status != StatusPaid { // refunded already
			return nil
		}
		now := s.now()
		r := &Refund{ClientID: o.ClientID, OutTradeNo: o.OutTradeNo, RefundNo: refundNoCancel,
			Amount: o.TotalAmount - o.RefundedAmount, Reason: "alipay.trade.cancel at the charge's deadline refunded the payment",
			Status: RefundPending, CreatedAt: now, UpdatedAt: now}
		if err := q.InsertRefund(ctx, r); err != nil {
			return err
		}
		changed = o
		return s.applyRefund(ctx, q, o, r, &now)
	})
	if err == nil && changed != nil {
		s.changed(changed)
	}
	return err
}

// reconcileCharge is the reconciler's turn on a barcode order whose settle loop did not
// finish it (the process died, or its cancels had no answer): alipay.trade.query, and a
// payment or close found is recorded; otherwise, once its deadline passed, one
// alipay.trade.cancel (closed, or refunded when the buyer had paid). What stays unknown is
// tried again on the reconciler's schedule.
func (s *Service) reconcileCharge(ctx context.Context, o *Order) error {
	if o.Status != StatusPending {
		return s.verifyClosed(ctx, o)
	}
	ch, ok := s.channel.(Charger)
	if !ok {
		s.log.Error("a barcode order is pending but the channel takes no barcode payments", slog.String("out_trade_no", o.OutTradeNo))
		s.handOverCharge(ctx, o.OutTradeNo)
		return nil
	}
	settled, err := s.queryCharge(ctx, o.OutTradeNo)
	if err == nil && settled {
		return nil
	}
	if s.now().Before(o.ExpiresAt) {
		s.handOverCharge(ctx, o.OutTradeNo)
		return nil
	}
	s.cancelCharge(ctx, ch, o.OutTradeNo, 1)
	return nil
}
