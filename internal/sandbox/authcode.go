package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Payment-code behaviours: what the buyer's Alipay does when a till charges the code.
const (
	BehaviourPay                 = "pay"                  // pays at once: alipay.trade.pay answers 10000
	BehaviourPassword            = "password"             // 10003 until the buyer confirms on the phone
	BehaviourInsufficientBalance = "insufficient_balance" // ACQ.BUYER_BALANCE_NOT_ENOUGH
)

// authCodeLife is how long a payment code can be charged: the Alipay app refreshes it
// about every minute. It runs on the sandbox clock and is not divided by TimeScale, so a
// person can still type the code into a till under a compressed schedule.
const authCodeLife = 60 * time.Second

// authCode is one buyer payment code; guarded by Sandbox.mu.
type authCode struct {
	code, behaviour string
	buyer           buyer
	createdAt       time.Time
	used            bool
	rec             *record // the trade it was charged for
}

// AuthCode is a payment code as POST /sandbox/api/auth-codes answers it.
type AuthCode struct {
	AuthCode  string    `json:"auth_code"`
	Behaviour string    `json:"behaviour"`
	ExpiresAt time.Time `json:"expires_at"`
}

// NewAuthCode makes a buyer's payment code: 18 digits starting 25–30, single use, valid
// 60 s. behaviour is BehaviourPay (default when ""), BehaviourPassword or
// BehaviourInsufficientBalance; logon optionally names the buyer. Errors: ErrInvalid.
func (s *Sandbox) NewAuthCode(behaviour, logon string) (*AuthCode, error) {
	if behaviour == "" {
		behaviour = BehaviourPay
	}
	if behaviour != BehaviourPay && behaviour != BehaviourPassword && behaviour != BehaviourInsufficientBalance {
		return nil, fmt.Errorf("%w: behaviour must be pay, password or insufficient_balance", ErrInvalid)
	}
	b := buyer{logon: logon}
	if err := b.validate(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.codes == nil {
		s.codes = map[string]*authCode{}
	}
	var code string
	for code == "" || s.codes[code] != nil {
		code = randomDigits(strconv.Itoa(25+rand.IntN(6)), 16)
	}
	now := s.now()
	s.codes[code] = &authCode{code: code, behaviour: behaviour, buyer: b, createdAt: now}
	return &AuthCode{AuthCode: code, Behaviour: behaviour, ExpiresAt: now.Add(authCodeLife)}, nil
}

// chargeableLocked returns the code if a till may charge it now: known, unused, fresh.
func (s *Sandbox) chargeableLocked(code string, now time.Time) *authCode {
	c := s.codes[code]
	if c == nil || c.used || now.Sub(c.createdAt) >= authCodeLife {
		return nil
	}
	return c
}

// ConfirmAuthCode is the buyer answering the password prompt of a code charged with
// BehaviourPassword: outcome "success" (default) pays the waiting trade (TRADE_SUCCESS,
// notified); "cancel" leaves it WAIT_BUYER_PAY for the till to cancel. Confirming a paid
// trade again returns it unchanged. Errors: ErrNotFound (unknown code), ErrInvalid (bad
// outcome), ErrState (no payment waiting for this code, or the trade is closed).
func (s *Sandbox) ConfirmAuthCode(code, outcome string) (*Trade, error) {
	if outcome == "" {
		outcome = OutcomeSuccess
	}
	if outcome != OutcomeSuccess && outcome != OutcomeCancel {
		return nil, fmt.Errorf("%w: outcome must be success or cancel", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.codes[code]
	switch {
	case c == nil:
		return nil, ErrNotFound
	case c.behaviour != BehaviourPassword:
		return nil, fmt.Errorf("%w: a %q payment code needs no confirmation", ErrState, c.behaviour)
	case c.rec == nil:
		return nil, fmt.Errorf("%w: no payment is waiting for this code; charge it with alipay.trade.pay first", ErrState)
	}
	r := c.rec
	now := s.now()
	s.refreshLocked(r, now)
	switch {
	case r.t.Status == StatusTradeSuccess && outcome == OutcomeSuccess:
		return r.snapshot(), nil
	case r.t.Status != StatusWaitBuyerPay:
		return nil, fmt.Errorf("%w: trade is %s", ErrState, r.t.Status)
	}
	r.t.LastPayOutcome = outcome
	r.updatedAt = now
	if outcome == OutcomeSuccess {
		s.markPaidLocked(r, now)
	}
	return r.snapshot(), nil
}

// sweepCodesLocked forgets codes an hour old unless a trade still waits on them.
func (s *Sandbox) sweepCodesLocked(now time.Time) {
	for k, c := range s.codes {
		if now.Sub(c.createdAt) > time.Hour && (c.rec == nil || c.rec.t.Status != StatusWaitBuyerPay) {
			delete(s.codes, k)
		}
	}
}

func (s *Sandbox) handleAuthCodes(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Behaviour    string `json:"behaviour"`
		BuyerLogonID string `json:"buyer_logon_id"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	c, err := s.NewAuthCode(in.Behaviour, in.BuyerLogonID)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Sandbox) handleAuthCodeConfirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Outcome string `json:"outcome"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	t, err := s.ConfirmAuthCode(r.PathValue("code"), in.Outcome)
	s.answer(w, t, err)
}
