package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"time"
)

// CodePaymentFailed is Alipay refusing a barcode charge (alipay.trade.pay answered 40004,
// e.g. ACQ.PAYMENT_AUTH_CODE_INVALID or ACQ.BUYER_BALANCE_NOT_ENOUGH): the buyer was not
// charged and the order is closed with Alipay's codes (docs/api.md, "Barcode payment").
const CodePaymentFailed Code = "PAYMENT_FAILED"

// Limits of a charge's timeout_seconds, and its default (docs/api.md).
const (
	MinChargeTimeout     = 10 * time.Second
	MaxChargeTimeout     = 120 * time.Second
	DefaultChargeTimeout = 60 * time.Second
)

// authCodePattern is a buyer's payment code as Alipay documents it: 16–24 digits.
var authCodePattern = regexp.MustCompile(`^[0-9]{16,24}$`)

// deviceIDPattern is a store_id, terminal_id or operator_id.
var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ChargeRequest is a till's barcode payment: it scanned the buyer's payment code.
type ChargeRequest struct {
	OutTradeNo     string
	TotalAmount    Amount
	Subject        string
	Body           string
	AuthCode       string // the buyer's payment code; only its SHA-256 is kept
	StoreID        string // passed to Alipay
	TerminalID     string
	OperatorID     string
	TimeoutSeconds int // 0 = DefaultChargeTimeout
	NotifyURL      string
	Metadata       map[string]string
}

// Validate checks every field; errors are INVALID_PARAMETER naming the field.
func (r *ChargeRequest) Validate() error {
	if err := (&CreateRequest{OutTradeNo: r.OutTradeNo, TotalAmount: r.TotalAmount, Subject: r.Subject,
		Body: r.Body, NotifyURL: r.NotifyURL, Metadata: r.Metadata}).Validate(); err != nil {
		return err
	}
	if !authCodePattern.MatchString(r.AuthCode) {
		return Errorf(CodeInvalidParameter, "auth_code must be the buyer's payment code: 16-24 digits")
	}
	for _, f := range []struct{ name, v string }{{"store_id", r.StoreID}, {"terminal_id", r.TerminalID}, {"operator_id", r.OperatorID}} {
		if f.v != "" && !deviceIDPattern.MatchString(f.v) {
			return Errorf(CodeInvalidParameter, "%s must be 1-32 characters of [A-Za-z0-9_-]", f.name)
		}
	}
	if t := time.Duration(r.TimeoutSeconds) * time.Second; r.TimeoutSeconds != 0 && (t < MinChargeTimeout || t > MaxChargeTimeout) {
		return Errorf(CodeInvalidParameter, "timeout_seconds must be between %d and %d", int(MinChargeTimeout/time.Second), int(MaxChargeTimeout/time.Second))
	}
	return nil
}

// authCodeDigest is what an order keeps of the payment code it charged.
func authCodeDigest(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// PayRequest is what the gateway sends to alipay.trade.pay (scene bar_code).
type PayRequest struct {
	OutTradeNo  string
	TotalAmount Amount
	Subject     string
	Body        string
	AuthCode    string
	StoreID     string
	TerminalID  string
	OperatorID  string
	NotifyURL   string
}

// PayResult is Alipay's answer to alipay.trade.pay: 10000 (Paid, with the trade) or 10003
// (not Paid: the buyer must confirm on the phone; the trade waits, WAIT_BUYER_PAY).
type PayResult struct {
	Paid  bool
	Trade *Trade // Paid only
}

// Cancel actions: what alipay.trade.cancel did to the trade.
const (
	CancelActionClose  = "close"  // nothing was paid; the trade is closed
	CancelActionRefund = "refund" // the buyer had paid; the money went back in full
)

// CancelResult is Alipay's answer to alipay.trade.cancel.
type CancelResult struct {
	Action  string // CancelActionClose, CancelActionRefund, or "" when Alipay says none
	TradeNo string
}

// Charger is implemented by a Channel that can take barcode payments: the Alipay channel
// and the circuit breaker around it. Pay starts a new money movement; Cancel settles one
// (docs/decisions.md, "Barcode payment: the settle rules").
type Charger interface {
	// Pay calls alipay.trade.pay. Errors: UPSTREAM_REJECTED (Alipay refused the charge, with
	// its codes), UPSTREAM_UNAVAILABLE (outcome unknown: query before anything else).
	Pay(ctx context.Context, r PayRequest) (*PayResult, error)
	// Cancel calls alipay.trade.cancel: the trade is closed, or refunded in full if the
	// buyer paid. An answer asking for a retry (retry_flag Y) is UPSTREAM_UNAVAILABLE.
	// Errors: UPSTREAM_REJECTED (e.g. ACQ.TRADE_CANCEL_TIME_OUT), UPSTREAM_UNAVAILABLE.
	Cancel(ctx context.Context, outTradeNo string) (*CancelResult, error)
}
