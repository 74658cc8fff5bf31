package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// errRefused marks a notification the gateway will not act on; the endpoint answers failure.
type refusal struct{ reason string }

func (r *refusal) Error() string { return "notification refused: " + r.reason }

func refuse(format string, args ...any) error { return &refusal{reason: fmt.Sprintf(format, args...)} }

// HandleNotification verifies and applies one Alipay async notification (docs/decisions.md, Notifications). It returns
// nil only after the resulting change (or the finding that it is a duplicate) is committed;
// the endpoint then answers "success". Any error means "failure" (Alipay retries). Every
// notification is kept in the audit table whatever the outcome: whole when its signature
// verified, else only its start, with its length and hash, and only while its source is
// within its budget of unverified ones (SetNotifyFailBudget; over it, the error is
// RATE_LIMITED and nothing is stored).
func (s *Service) HandleNotification(ctx context.Context, raw, remoteAddr string) error {
	rec := newNotificationRecord(s.now(), remoteAddr, raw)
	ctx, span := startSpan(ctx, "alipay.notification")
	defer func() { endNotificationSpan(span, rec) }()
	form, perr := url.ParseQuery(raw)
	if perr == nil {
		rec.NotifyID, rec.OutTradeNo, rec.TradeStatus = clip(form.Get("notify_id")), clip(form.Get("out_trade_no")), clip(form.Get("trade_status"))
	}
	outcome, err := s.handleNotification(ctx, form, perr, rec)
	return s.finishNotification(ctx, rec, remoteAddr, outcome, err)
}

// finishNotification charges an unverified notification to its source's budget, writes its
// audit row with the outcome and returns what the endpoint answers by: nil to acknowledge.
func (s *Service) finishNotification(ctx context.Context, rec *NotificationRecord, remoteAddr, outcome string, err error) error {
	if !rec.Verified {
		if terr := s.admitUnverified(ctx, remoteAddr); terr != nil {
			return terr
		}
		rec.keepUnverified()
	}
	if err != nil {
		rec.Outcome = "refused: " + reasonOf(err)
		s.log.WarnContext(ctx, "notification refused", slog.String("notify_id", rec.NotifyID), slog.String("out_trade_no", rec.OutTradeNo), slog.String("reason", reasonOf(err)))
	} else {
		rec.Outcome = outcome
	}
	s.noticed(outcomeClass(rec.Outcome))
	if aerr := s.store.InsertNotification(ctx, rec); aerr != nil {
		s.log.ErrorContext(ctx, "audit of notification failed", slog.Any("err", aerr))
		if err == nil {
			// The change is committed; acknowledging is still right.
			return nil
		}
	}
	return err
}

func clip(s string) string { return truncate(s, 64) }

// OnNotification registers fn to be called with the outcome of every notification, the one
// its audit row records but without the reason: "accepted", "duplicate" or "refused" (also
// for those the HTTP layer refused, RecordRefusedNotification). fn must not block.
func (s *Service) OnNotification(fn func(outcome string)) {
	prev := s.noticed
	s.noticed = func(o string) { prev(o); fn(o) }
}

// outcomeClass drops the reason from an audit outcome ("refused: bad signature").
func outcomeClass(outcome string) string {
	if strings.HasPrefix(outcome, "refused") {
		return "refused"
	}
	return outcome
}

func reasonOf(err error) string {
	var r *refusal
	if errors.As(err, &r) {
		return r.reason
	}
	return ErrorMessage(err)
}

func (s *Service) handleNotification(ctx context.Context, form url.Values, parseErr error, rec *NotificationRecord) (string, error) {
	if parseErr != nil {
		return "", refuse("malformed form")
	}
	n, err := s.channel.VerifyNotification(form)
	if err != nil {
		if ErrorCode(err) == CodeUnauthorized {
			return "", refuse("bad signature")
		}
		return "", refuse("malformed notification: %s", ErrorMessage(err))
	}
	rec.Verified = true
	return s.acceptNotification(ctx, ChannelAlipay, s.channel, n)
}

// acceptNotification checks a verified notification of the named channel against the
// order (and, when configured, a query of ch) and applies it.
func (s *Service) acceptNotification(ctx context.Context, name string, ch Channel, n *Notification) (string, error) {
	if n.AppID != ch.AppID() {
		return "", refuse("app_id %s is not ours", clip(n.AppID))
	}
	if want := ch.SellerID(); want != "" && n.SellerID != want {
		return "", refuse("seller_id %s is not ours", clip(n.SellerID))
	}
	o, err := s.store.GetOrder(ctx, n.OutTradeNo)
	if errors.Is(err, ErrNotFound) {
		return "", refuse("unknown out_trade_no")
	} else if err != nil {
		return "", err
	}
	if OrderChannel(o) != name {
		return "", refuse("out_trade_no is an order of channel %s", OrderChannel(o))
	}
	if n.TotalAmount != o.TotalAmount {
		return "", refuse("total_amount %s differs from the order's %s", n.TotalAmount, o.TotalAmount)
	}
	t := &Trade{Status: n.TradeStatus, OutTradeNo: n.OutTradeNo, TradeNo: n.TradeNo, TotalAmount: n.TotalAmount,
		BuyerID: n.BuyerID, BuyerLogonID: n.BuyerLogonID, PaidAt: n.GmtPayment}
	if s.cfg.ConfirmWithQuery {
		if t, err = s.confirm(ctx, ch, n); err != nil {
			return "", err
		}
	}
	refunded, err := s.confirmRefund(ctx, ch, n)
	if err != nil {
		return "", err
	}
	return s.applyNotification(ctx, n, t, refunded)
}

// confirmRefund asks Alipay about the refund a notification names (out_biz_no), whether or
// not notifications are confirmed by query: its amount is known only there, because the
// notification's refund_fee is the trade's running total. It returns 0 when the
// notification reports no refund.
func (s *Service) confirmRefund(ctx context.Context, ch Channel, n *Notification) (Amount, error) {
	if n.OutBizNo == "" {
		return 0, nil
	}
	res, err := ch.RefundQuery(ctx, n.OutTradeNo, n.OutBizNo)
	if err != nil {
		return 0, refuse("confirming refund query failed: %s", ErrorMessage(err))
	}
	if !res.Found || !res.Succeeded || res.Amount <= 0 {
		return 0, refuse("alipay does not confirm refund %s", clip(n.OutBizNo))
	}
	return res.Amount, nil
}

// confirm asks Alipay whether the notification tells the truth and returns its trade.
func (s *Service) confirm(ctx context.Context, ch Channel, n *Notification) (*Trade, error) {
	t, err := ch.Query(ctx, n.OutTradeNo)
	if err != nil {
		return nil, refuse("confirming query failed: %s", ErrorMessage(err))
	}
	if t.TradeNo != "" && n.TradeNo != "" && t.TradeNo != n.TradeNo {
		return nil, refuse("trade_no differs from alipay.trade.query")
	}
	if t.TotalAmount != n.TotalAmount {
		return nil, refuse("total_amount differs from alipay.trade.query")
	}
	switch n.TradeStatus {
	case TradeSuccess, TradeFinished:
		// A trade paid and then refunded in full is TRADE_CLOSED with its send_pay_date;
		// closed without one, it was never paid.
		if !t.Status.Paid() && !refundedAtAlipay(t) {
			return nil, refuse("notification says %s but alipay.trade.query says %s", n.TradeStatus, t.Status)
		}
	case TradeClosed:
		if t.Status != TradeClosed {
			return nil, refuse("notification says TRADE_CLOSED but alipay.trade.query says %s", t.Status)
		}
	}
	// The notification's gmt_payment only fills in a payment the query confirms: a query
	// of a trade paid and then refunded in full (TRADE_CLOSED) still carries its
	// send_pay_date, so a closed trade without one was never paid.
	if t.PaidAt == nil && n.GmtPayment != nil && t.Status.Paid() {
		t.PaidAt = n.GmtPayment
	}
	return t, nil
}

// applyNotification applies a verified (and confirmed) notification in one transaction.
// refunded is the amount Alipay gives for the refund the notification names (confirmRefund).
func (s *Service) applyNotification(ctx context.Context, n *Notification, t *Trade, refunded Amount) (string, error) {
	var changed bool
	var out *Order
	err := s.tx(ctx, func(q Queries) error {
		changed = false
		o, err := q.GetOrder(ctx, n.OutTradeNo)
		if err != nil {
			return err
		}
		out = o
		// Paid is what Alipay confirmed (t is its query when notifications are confirmed,
		// the notification itself otherwise) or a refund its refund query confirmed: a
		// notification's own refund fields prove nothing when a query can be asked.
		paid := t.Status.Paid() || refundedAtAlipay(t) || refunded > 0 || (!s.cfg.ConfirmWithQuery && n.HasRefund)
		if paid {
			c, err := s.markPaid(ctx, q, o, firstNonEmpty(t.TradeNo, n.TradeNo), firstNonEmpty(t.BuyerID, n.BuyerID), firstNonEmpty(t.BuyerLogonID, n.BuyerLogonID), firstTime(t.PaidAt, n.GmtPayment))
			if err != nil {
				return err
			}
			changed = changed || c
		}
		if n.HasRefund && n.OutBizNo != "" {
			c, err := s.refundFromNotification(ctx, q, o, n, refunded)
			if err != nil {
				return err
			}
			changed = changed || c
		}
		if !paid && n.TradeStatus == TradeClosed {
			c, err := s.markClosed(ctx, q, o)
			if err != nil {
				return err
			}
			changed = changed || c
		}
		if !o.Notified {
			o.Notified = true
			if err := q.UpdateOrder(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if changed {
		s.changed(out)
	}
	if refundedAtAlipay(t) && out.Status == StatusPaid {
		// Alipay refunded the trade in full; a refund notification that would say so may
		// never come (docs/decisions.md, "A trade paid, then refunded in full at Alipay").
		if _, err := s.settleRefundedTrade(ctx, n.OutTradeNo); err != nil {
			return "", err
		}
	}
	if changed {
		return "accepted", nil
	}
	return "duplicate", nil
}

// refundFromNotification records the refund a notification reports: a pending refund of
// ours succeeds; a refund made outside the gateway (Alipay's console) is recorded too, at
// the amount Alipay's refund query gave (amount), never at refund_fee minus what is
// recorded here — refund_fee also counts our refunds that are still pending locally.
func (s *Service) refundFromNotification(ctx context.Context, q Queries, o *Order, n *Notification, amount Amount) (bool, error) {
	r, err := q.GetRefund(ctx, o.OutTradeNo, n.OutBizNo)
	if errors.Is(err, ErrNotFound) {
		if amount <= 0 || !ValidID(n.OutBizNo) {
			return false, nil
		}
		if o.RefundedAmount+amount > o.TotalAmount {
			// The books already hold this money as refunded: a trade Alipay reported
			// refunded in full was recorded before this refund's own notice arrived
			// (settleRefundedTrade).
			s.log.WarnContext(ctx, "refund notice beyond the order's total ignored", slog.String("out_trade_no", o.OutTradeNo),
				slog.String("refund_no", n.OutBizNo))
			return false, nil
		}
		now := s.now()
		r = &Refund{ClientID: o.ClientID, OutTradeNo: o.OutTradeNo, RefundNo: n.OutBizNo, Amount: amount,
			Reason: "refunded outside f2fpay", Status: RefundPending, CreatedAt: now, UpdatedAt: now}
		if err := q.InsertRefund(ctx, r); err != nil {
			return false, err
		}
	} else if err != nil {
		return false, err
	}
	if r.Status == RefundSucceeded {
		return false, nil
	}
	return true, s.applyRefund(ctx, q, o, r, n.GmtRefund)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstTime(a, b *time.Time) *time.Time {
	if a != nil {
		return a
	}
	return b
}
