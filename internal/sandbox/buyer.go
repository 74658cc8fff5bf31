package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// Pay outcomes accepted by Pay.
const (
	OutcomeSuccess             = "success"
	OutcomeCancel              = "cancel"
	OutcomeInsufficientBalance = "insufficient_balance"
)

// Scan simulates a buyer scanning the QR of a precreated order: the trade comes into
// being (WAIT_BUYER_PAY) with a trade_no and a buyer. Scanning again returns the same
// trade. Errors: ErrNotFound (never precreated), ErrQRInvalid (expired or cancelled
// unscanned), ErrState (already paid or closed).
func (s *Sandbox) Scan(appID, outTradeNo string) (*Trade, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.scanLocked(s.recs[recKey(appID, outTradeNo)], "")
	if err != nil {
		return nil, err
	}
	return r.snapshot(), nil
}

func (s *Sandbox) scanLocked(r *record, logon string) (*record, error) {
	if r == nil || r.t.QRToken == "" {
		return nil, ErrNotFound
	}
	now := s.now()
	s.refreshLocked(r, now)
	switch {
	case r.t.Status == StatusWaitBuyerPay:
		return r, nil
	case r.t.Status != "":
		return nil, fmt.Errorf("%w: trade is %s", ErrState, r.t.Status)
	case r.dead:
		return nil, ErrQRInvalid
	}
	if logon == "" {
		logon = "1" + randomDigits("", 10)
	}
	r.t.Status = StatusWaitBuyerPay
	r.t.TradeNo = s.newTradeNoLocked(now)
	r.t.BuyerID = randomDigits("2088", 12)
	r.t.BuyerLogonID = maskLogon(logon)
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
	return s.payLocked(s.recs[recKey(appID, outTradeNo)], outcome, "")
}

func (s *Sandbox) payLocked(r *record, outcome, logon string) (*Trade, error) {
	if outcome == "" {
		outcome = OutcomeSuccess
	}
	if outcome != OutcomeSuccess && outcome != OutcomeCancel && outcome != OutcomeInsufficientBalance {
		return nil, fmt.Errorf("%w: outcome must be success, cancel or insufficient_balance", ErrInvalid)
	}
	r, err := s.scanLocked(r, logon)
	if err != nil {
		return nil, err
	}
	if logon != "" && r.t.Status == StatusWaitBuyerPay {
		r.t.BuyerLogonID = maskLogon(logon) // the payer named here, also after an earlier scan
	}
	r.t.LastPayOutcome = outcome
	if outcome == OutcomeSuccess {
		now := s.now()
		r.t.Status = StatusTradeSuccess
		r.t.PaidAt = &now
		r.updatedAt = now
		s.notifyLocked(r, now, kindPaid, "", "")
	}
	return r.snapshot(), nil
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

// refreshLocked applies expiry lazily: an unscanned QR dies, a scanned unpaid trade
// closes (notified), at ExpiresAt.
func (s *Sandbox) refreshLocked(r *record, now time.Time) {
	if r.t.ExpiresAt.IsZero() || now.Before(r.t.ExpiresAt) {
		return
	}
	switch {
	case r.t.Status == "" && !r.dead:
		r.dead = true
		r.updatedAt = now
	case r.t.Status == StatusWaitBuyerPay:
		s.closeLocked(r, now, "")
	}
}
