package payment

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"time"
)

// Create issues an order and its QR for the client, idempotent by out_trade_no: the same
// parameters again return the existing order (created=false), retrying precreate if the
// first attempt never got a QR. Errors: INVALID_PARAMETER (also a notify_url naming a
// non-public IP address, docs/security.md), CONFLICT (out_trade_no taken with
// other parameters), UPSTREAM_REJECTED, UPSTREAM_UNAVAILABLE (safe to repeat).
func (s *Service) Create(ctx context.Context, clientID string, req CreateRequest) (*Order, bool, error) {
	if err := req.Validate(); err != nil {
		return nil, false, err
	}
	if err := s.checkChannel(&req); err != nil {
		return nil, false, err
	}
	if req.NotifyURL != "" {
		if err := s.checkWebhookTarget("notify_url", req.NotifyURL); err != nil {
			return nil, false, err
		}
	}
	if req.TimeoutMinutes == 0 {
		req.TimeoutMinutes = int(s.cfg.DefaultTimeout / time.Minute)
	}
	o, err := s.store.GetOrder(ctx, req.OutTradeNo)
	switch {
	case err == nil:
		return s.repeatCreate(ctx, clientID, o, req)
	case !errors.Is(err, ErrNotFound):
		return nil, false, err
	}
	if a, ok := s.channelNamed(req.Channel).(Admitter); ok {
		if err := a.AdmitNew(); err != nil {
			return nil, false, err
		}
	}
	now := s.now()
	first := now.Add(s.cfg.CheckSchedule[0])
	o = &Order{
		ClientID: clientID, OutTradeNo: req.OutTradeNo, Channel: req.Channel, TotalAmount: req.TotalAmount,
		Subject: req.Subject, Body: req.Body, Status: StatusPending, CashierToken: randomToken(32),
		NotifyURL: req.NotifyURL, Metadata: req.Metadata, TimeoutMinutes: req.TimeoutMinutes,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Duration(req.TimeoutMinutes) * time.Minute),
		NextCheckAt: &first, Kind: KindQR, StoreID: req.StoreID, TerminalID: req.TerminalID, OperatorID: req.OperatorID,
	}
	if err := s.store.InsertOrder(ctx, o); err != nil {
		if errors.Is(err, ErrDuplicate) { // a concurrent create won the race
			existing, gerr := s.store.GetOrder(ctx, req.OutTradeNo)
			if gerr != nil {
				return nil, false, gerr
			}
			return s.repeatCreate(ctx, clientID, existing, req)
		}
		return nil, false, err
	}
	o, err = s.precreate(ctx, o)
	return o, err == nil, err
}

func (s *Service) repeatCreate(ctx context.Context, clientID string, o *Order, req CreateRequest) (*Order, bool, error) {
	if o.ClientID != clientID || !sameOrder(o, req) {
		return nil, false, Errorf(CodeConflict, "out_trade_no %s already exists with other parameters", req.OutTradeNo)
	}
	if o.QRCode == "" && o.Status == StatusPending {
		// The first attempt never got a QR, so the merchant never saw the order created:
		// this attempt is the one that creates it.
		o, err := s.precreate(ctx, o)
		return o, err == nil, err
	}
	return o, false, nil
}

func sameOrder(o *Order, r CreateRequest) bool {
	return OrderChannel(o) == r.Channel && o.TotalAmount == r.TotalAmount && o.Subject == r.Subject && o.Body == r.Body &&
		o.TimeoutMinutes == r.TimeoutMinutes && o.NotifyURL == r.NotifyURL &&
		o.StoreID == r.StoreID && o.TerminalID == r.TerminalID && o.OperatorID == r.OperatorID &&
		maps.Equal(nonNil(o.Metadata), nonNil(r.Metadata))
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// precreate asks Alipay for the QR with the order's own, unchanging parameters and stores it.
func (s *Service) precreate(ctx context.Context, o *Order) (*Order, error) {
	qr, err := s.channelFor(o).Precreate(ctx, PrecreateRequest{
		OutTradeNo: o.OutTradeNo, TotalAmount: o.TotalAmount, Subject: o.Subject, Body: o.Body,
		ExpiresAt: o.ExpiresAt, NotifyURL: s.cfg.PublicURL + s.cfg.NotifyPath,
		StoreID: o.StoreID, TerminalID: o.TerminalID, OperatorID: o.OperatorID,
	})
	if err != nil {
		s.log.WarnContext(ctx, "precreate failed", slog.String("out_trade_no", o.OutTradeNo), slog.String("code", string(ErrorCode(err))))
		return nil, err
	}
	var out *Order
	err = s.tx(ctx, func(q Queries) error {
		cur, err := q.GetOrder(ctx, o.OutTradeNo)
		if err != nil {
			return err
		}
		if cur.QRCode == "" {
			cur.QRCode = qr
			cur.UpdatedAt = s.now()
			if err := q.UpdateOrder(ctx, cur); err != nil {
				return err
			}
		}
		out = cur
		return nil
	})
	if err == nil {
		s.changed(out)
	}
	return out, err
}

// Get returns the client's order; with sync it first asks Alipay and applies what it says.
// Errors: NOT_FOUND (also another client's order), UPSTREAM_* when sync fails.
func (s *Service) Get(ctx context.Context, clientID, outTradeNo string, sync bool) (*Order, error) {
	o, err := s.clientOrder(ctx, clientID, outTradeNo)
	if err != nil || !sync {
		return o, err
	}
	return s.Sync(ctx, o.OutTradeNo)
}

// clientOrder loads an order and hides other clients' orders as NOT_FOUND.
func (s *Service) clientOrder(ctx context.Context, clientID, outTradeNo string) (*Order, error) {
	if !ValidID(outTradeNo) {
		return nil, Errorf(CodeNotFound, "order %s not found", truncate(outTradeNo, 64))
	}
	o, err := s.store.GetOrder(ctx, outTradeNo)
	if errors.Is(err, ErrNotFound) || (err == nil && clientID != "" && o.ClientID != clientID) {
		return nil, Errorf(CodeNotFound, "order %s not found", outTradeNo)
	}
	return o, err
}

// Sync queries Alipay for the order and applies the answer (a payment found is recorded,
// late if the order was closed). Errors: NOT_FOUND, UPSTREAM_*.
func (s *Service) Sync(ctx context.Context, outTradeNo string) (*Order, error) {
	ch, err := s.channelOf(ctx, outTradeNo)
	if err != nil {
		return nil, err
	}
	t, err := ch.Query(ctx, outTradeNo)
	if err != nil {
		return nil, err
	}
	return s.applyTrade(ctx, outTradeNo, t)
}

// applyTrade records what a query showed: a payment, or a close of an unpaid trade; a trade
// paid and then closed was refunded in full at Alipay, and that is recorded too
// (settleRefundedTrade).
func (s *Service) applyTrade(ctx context.Context, outTradeNo string, t *Trade) (*Order, error) {
	var out *Order
	var changed bool
	err := s.tx(ctx, func(q Queries) error {
		o, err := q.GetOrder(ctx, outTradeNo)
		if err != nil {
			return err
		}
		out, changed = o, false
		paid := t.Status.Paid() || (t.Status == TradeClosed && t.PaidAt != nil)
		switch {
		case paid && t.TotalAmount == o.TotalAmount:
			changed, err = s.markPaid(ctx, q, o, t.TradeNo, t.BuyerID, t.BuyerLogonID, t.PaidAt)
		case t.Status == TradeClosed && o.Status == StatusPending:
			changed, err = s.markClosed(ctx, q, o)
		case paid:
			s.log.ErrorContext(ctx, "alipay reports a paid trade with another amount", slog.String("out_trade_no", outTradeNo),
				slog.String("alipay_amount", t.TotalAmount.String()), slog.String("order_amount", o.TotalAmount.String()))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.changed(out)
	}
	if refundedAtAlipay(t) && t.TotalAmount == out.TotalAmount && out.Status == StatusPaid {
		if _, err := s.settleRefundedTrade(ctx, outTradeNo); err != nil {
			return nil, err
		}
		return s.store.GetOrder(ctx, outTradeNo)
	}
	return out, nil
}

// markPaid moves o to paid inside q's transaction and writes payment.succeeded; a payment
// for a closed order is late. Already paid: no change.
func (s *Service) markPaid(ctx context.Context, q Queries, o *Order, tradeNo, buyerID, buyerLogon string, paidAt *time.Time) (bool, error) {
	if o.Status == StatusPaid || o.Status == StatusRefunded {
		return false, nil
	}
	now := s.now()
	if paidAt == nil {
		paidAt = &now
	}
	o.Late = o.Status == StatusClosed
	o.Status, o.TradeNo, o.BuyerID, o.BuyerLogonID = StatusPaid, tradeNo, buyerID, buyerLogon
	o.PaidAt, o.UpdatedAt, o.NextCheckAt = paidAt, now, nil
	if err := q.UpdateOrder(ctx, o); err != nil {
		return false, err
	}
	ev, err := s.newEvent(EventPaymentSucceeded, EventPaymentSucceeded+":"+o.OutTradeNo, o.ClientID, o.OutTradeNo, PaymentView(o, s.cfg.PublicURL))
	if err != nil {
		return false, err
	}
	if err := q.InsertEvent(ctx, ev); err != nil {
		return false, err
	}
	return true, s.scheduleLateRefund(ctx, q, o)
}

// markClosed moves a pending o to closed and writes payment.closed.
func (s *Service) markClosed(ctx context.Context, q Queries, o *Order) (bool, error) {
	if o.Status != StatusPending {
		return false, nil
	}
	now := s.now()
	o.Status, o.ClosedAt, o.UpdatedAt, o.NextCheckAt = StatusClosed, &now, now, nil
	if err := q.UpdateOrder(ctx, o); err != nil {
		return false, err
	}
	ev, err := s.newEvent(EventPaymentClosed, EventPaymentClosed+":"+o.OutTradeNo, o.ClientID, o.OutTradeNo, PaymentView(o, s.cfg.PublicURL))
	if err != nil {
		return false, err
	}
	return true, q.InsertEvent(ctx, ev)
}

// Close closes an unpaid order at Alipay (its QR dies) and locally. Closing a closed order
// returns it unchanged. Errors: NOT_FOUND, CONFLICT (paid), UPSTREAM_*.
func (s *Service) Close(ctx context.Context, clientID, outTradeNo string) (*Order, error) {
	o, err := s.clientOrder(ctx, clientID, outTradeNo)
	if err != nil {
		return nil, err
	}
	switch o.Status {
	case StatusClosed:
		return o, nil
	case StatusPaid, StatusRefunded:
		return nil, Errorf(CodeConflict, "order %s is paid; refund it instead", outTradeNo)
	}
	if err := s.channelFor(o).Close(ctx, outTradeNo); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeUpstreamRejected && e.AlipaySubCode == "ACQ.TRADE_STATUS_ERROR" {
			if o, serr := s.Sync(ctx, outTradeNo); serr == nil && o.Status != StatusPending {
				return nil, Errorf(CodeConflict, "order %s is paid; refund it instead", outTradeNo)
			}
		}
		return nil, err
	}
	var conflict bool
	var changed bool
	err = s.tx(ctx, func(q Queries) error {
		cur, err := q.GetOrder(ctx, outTradeNo)
		if err != nil {
			return err
		}
		o, conflict = cur, cur.Status == StatusPaid || cur.Status == StatusRefunded
		changed, err = s.markClosed(ctx, q, cur)
		return err
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.changed(o)
	}
	if conflict {
		return nil, Errorf(CodeConflict, "order %s is paid; refund it instead", outTradeNo)
	}
	return o, nil
}

// List returns the client's orders, newest first; before is the cursor (an order ID).
func (s *Service) List(ctx context.Context, clientID string, status Status, limit int, before int64) ([]*Order, error) {
	if status != "" && !status.Valid() {
		return nil, Errorf(CodeInvalidParameter, "status must be pending, paid, closed or refunded")
	}
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > 100 {
		return nil, Errorf(CodeInvalidParameter, "limit must be between 1 and 100")
	}
	return s.store.ListOrders(ctx, OrderFilter{ClientID: clientID, Status: status, Before: before, Limit: limit})
}
