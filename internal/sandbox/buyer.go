package sandbox

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Pay outcomes accepted by Pay.
const (
	OutcomeSuccess             = "success"
	OutcomeCancel              = "cancel"
	OutcomeInsufficientBalance = "insufficient_balance"
)

// buyer is a buyer as a control call names them: by login (buyer_logon_id, e.g. a phone
// number or e-mail) and/or Alipay user id (2088…). Empty fields name nobody in particular.
type buyer struct{ logon, id string }

var buyerIDPattern = regexp.MustCompile(`^2088[0-9]{12}$`)

func (b buyer) validate() error {
	if b.id != "" && !buyerIDPattern.MatchString(b.id) {
		return fmt.Errorf("%w: buyer_id must be 2088 followed by 12 digits", ErrInvalid)
	}
	if len(b.logon) > 100 {
		return fmt.Errorf("%w: buyer_logon_id too long", ErrInvalid)
	}
	return nil
}

// bindLocked makes b the trade's buyer, keeping (or inventing) whatever b leaves empty.
// A buyer who names themselves binds the trade for good; an anonymous scan (the buyer
// page, a test's bare Scan) leaves it to the first buyer who does.
func (r *record) bindLocked(b buyer) {
	r.named = r.named || b != (buyer{})
	if b.logon == "" && r.buyerLogon == "" {
		b.logon = "1" + randomDigits("", 10)
	} else if b.logon == "" {
		b.logon = r.buyerLogon
	}
	if b.id == "" && r.t.BuyerID == "" {
		b.id = randomDigits("2088", 12)
	} else if b.id == "" {
		b.id = r.t.BuyerID
	}
	r.buyerLogon, r.t.BuyerID, r.t.BuyerLogonID = b.logon, b.id, maskLogon(b.logon)
}

// claimLocked lets b act on a scanned trade: an anonymous b always may; the first named
// buyer binds it; another named buyer is refused.
func (r *record) claimLocked(b buyer) bool {
	switch {
	case b == (buyer{}):
		return true
	case !r.named:
		r.bindLocked(b)
		return true
	}
	return (b.logon == "" || b.logon == r.buyerLogon) && (b.id == "" || b.id == r.t.BuyerID)
}

// errBuyerNotMatch is Alipay's answer to a second buyer scanning a QR bound to another.
var errBuyerNotMatch = &alipayError{sentinel: ErrState, sub: "ACQ.TRADE_BUYER_NOT_MATCH",
	msg: "ACQ.TRADE_BUYER_NOT_MATCH: 交易买家不匹配，该二维码已被其他买家扫描"}

// Scan simulates a buyer scanning the QR of a precreated order: the trade comes into
// being (WAIT_BUYER_PAY) with a trade_no and a buyer. Scanning again returns the same
// trade. Errors: ErrNotFound (never precreated), ErrQRInvalid (expired or cancelled
// unscanned), ErrState (already paid or closed).
func (s *Sandbox) Scan(appID, outTradeNo string) (*Trade, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.scanLocked(s.recs[recKey(appID, outTradeNo)], buyer{})
	if err != nil {
		return nil, err
	}
	return r.snapshot(), nil
}

// scanLocked creates the trade and binds it to b; a later scan by another buyer is
// refused with ACQ.TRADE_BUYER_NOT_MATCH (an *alipayError wrapping ErrState).
func (s *Sandbox) scanLocked(r *record, b buyer) (*record, error) {
	if r == nil || r.t.QRToken == "" {
		return nil, ErrNotFound
	}
	if err := b.validate(); err != nil {
		return nil, err
	}
	now := s.now()
	s.refreshLocked(r, now)
	switch {
	case r.t.Status == StatusWaitBuyerPay && !r.claimLocked(b):
		return nil, errBuyerNotMatch
	case r.t.Status == StatusWaitBuyerPay:
		return r, nil
	case r.t.Status != "":
		return nil, fmt.Errorf("%w: trade is %s", ErrState, r.t.Status)
	case r.dead:
		return nil, ErrQRInvalid
	}
	r.t.Status = StatusWaitBuyerPay
	r.t.TradeNo = s.newTradeNoLocked(now)
	r.bindLocked(b)
	r.t.ScannedAt = &now
	r.updatedAt = now
	s.byTradeNo[r.t.TradeNo] = r
	s.notifyLocked(r, now, kindWaitPay, "", "")
	return r, nil
}

// Pay simulates the buyer's decision on the cashier: "success" (default when "") pays
// the trade (TRADE_SUCCESS, notified); "cancel" and "insufficient_balance" leave it
// WAIT_BUYER_PAY and only record the outcome. An unscanned order is scanned first.
// Errors: those of Scan, ErrInvalid for an unknown outcome, ErrState when not payable.
func (s *Sandbox) Pay(appID, outTradeNo, outcome string) (*Trade, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.payLocked(s.recs[recKey(appID, outTradeNo)], outcome, buyer{})
}

func (s *Sandbox) payLocked(r *record, outcome string, b buyer) (*Trade, error) {
	if outcome == "" {
		outcome = OutcomeSuccess
	}
	if outcome != OutcomeSuccess && outcome != OutcomeCancel && outcome != OutcomeInsufficientBalance {
		return nil, fmt.Errorf("%w: outcome must be success, cancel or insufficient_balance", ErrInvalid)
	}
	r, err := s.scanLocked(r, b)
	if err != nil {
		return nil, err
	}
	r.t.LastPayOutcome = outcome
	if outcome == OutcomeSuccess {
		s.markPaidLocked(r, s.now())
	}
	return r.snapshot(), nil
}

// markPaidLocked moves a WAIT_BUYER_PAY trade to TRADE_SUCCESS: notified, and written to
// the bill ledger.
func (s *Sandbox) markPaidLocked(r *record, now time.Time) {
	r.t.Status = StatusTradeSuccess
	r.t.PaidAt = &now
	r.updatedAt = now
	s.ledgerLocked(r, now, nil)
	s.notifyLocked(r, now, kindPaid, "", "")
}

// Trade returns a copy of the order as the simulator sees it.
func (s *Sandbox) Trade(appID, outTradeNo string) (*Trade, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recs[recKey(appID, outTradeNo)]
	if r == nil {
		return nil, false
	}
	s.refreshLocked(r, s.now())
	return r.snapshot(), true
}

// trades lists trades, optionally filtered, oldest first.
func (s *Sandbox) trades(appID, outTradeNo string) []*Trade {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := []*Trade{}
	for _, r := range s.recs {
		if (appID != "" && r.t.AppID != appID) || (outTradeNo != "" && r.t.OutTradeNo != outTradeNo) {
			continue
		}
		s.refreshLocked(r, now)
		out = append(out, r.snapshot())
	}
	sortTrades(out)
	return out
}

func sortTrades(ts []*Trade) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && lessTrade(ts[j], ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func lessTrade(a, b *Trade) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return strings.Compare(a.OutTradeNo, b.OutTradeNo) < 0
}

// FinishTrade ends the refund window of a paid trade: TRADE_SUCCESS → TRADE_FINISHED,
// notified. Errors: ErrNotFound, ErrState (not TRADE_SUCCESS).
func (s *Sandbox) FinishTrade(appID, outTradeNo string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recs[recKey(appID, outTradeNo)]
	if r == nil {
		return ErrNotFound
	}
	now := s.now()
	s.refreshLocked(r, now)
	if r.t.Status != StatusTradeSuccess {
		return fmt.Errorf("%w: trade is %q", ErrState, r.t.Status)
	}
	r.t.Status = StatusTradeFinished
	r.t.FinishedAt = &now
	r.updatedAt = now
	s.notifyLocked(r, now, kindFinished, "", "")
	return nil
}

// refreshLocked applies expiry lazily: an unscanned QR dies at min(ExpiresAt, 2 h after
// precreate); a scanned (or barcode) unpaid trade closes, notified, at ExpiresAt.
func (s *Sandbox) refreshLocked(r *record, now time.Time) {
	switch {
	case r.t.Status == "" && !r.dead:
		if at := r.qrExpiry(); !at.IsZero() && !now.Before(at) {
			r.dead = true
			r.updatedAt = now
		}
	case r.t.Status == StatusWaitBuyerPay:
		if !r.t.ExpiresAt.IsZero() && !now.Before(r.t.ExpiresAt) {
			s.closeLocked(r, now, "")
		}
	}
}
