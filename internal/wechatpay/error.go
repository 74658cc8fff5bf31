package wechatpay

import (
	"errors"
	"fmt"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Outcome says what a failed call did at WeChat Pay.
type Outcome int

// Outcomes of a failed call; see the package documentation for the table.
const (
	// OutcomeRejected: WeChat Pay answered and did not carry the call out (a business
	// refusal or a malformed request). Repeating it unchanged gives the same answer.
	OutcomeRejected Outcome = iota + 1
	// OutcomeUnknown: the call may or may not have taken effect (system error, rate limit,
	// 5xx, timeout, an answer that failed verification). Query, or repeat with the same
	// out_trade_no / out_refund_no: WeChat Pay applies it once.
	OutcomeUnknown
)

// String names the outcome as the Recorder and the logs write it: ok, rejected, unknown.
func (o Outcome) String() string {
	switch o {
	case OutcomeRejected:
		return "rejected"
	case OutcomeUnknown:
		return "unknown"
	}
	return "ok"
}

// Error is a failed APIv3 call. Message is WeChat Pay's own message for an error answer
// (safe to show), or why no usable answer arrived (never the request or a signature).
type Error struct {
	Op       string // native, query, close, refund, refund_query
	Status   int    // HTTP status of the answer; 0 when none arrived
	Code     string // WeChat Pay's error code ("ORDERPAID"); "" when the answer carried none
	Message  string
	Outcome  Outcome
	Unsigned bool // the answer failed signature verification: a security event, logged loudly
}

// Error reads "wechatpay <op>: <outcome> (HTTP <status> <code>: <message>)".
func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("wechatpay %s: %s (HTTP %d %s: %s)", e.Op, e.Outcome, e.Status, e.Code, e.Message)
	}
	if e.Status != 0 {
		return fmt.Sprintf("wechatpay %s: %s (HTTP %d: %s)", e.Op, e.Outcome, e.Status, e.Message)
	}
	return fmt.Sprintf("wechatpay %s: %s (%s)", e.Op, e.Outcome, e.Message)
}

// Unknown reports whether the call may have taken effect.
func (e *Error) Unknown() bool { return e.Outcome == OutcomeUnknown }

// ErrorCode returns WeChat Pay's error code carried by err, "" when there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// unknownCodes leave the outcome open whatever the HTTP status (documented advice: repeat
// with the same parameters, or query first).
var unknownCodes = map[string]bool{
	"SYSTEM_ERROR": true, "BANK_ERROR": true, "FREQUENCY_LIMITED": true,
	"RATELIMIT_EXCEEDED": true, "SERVICE_UNAVAILABLE": true, "USER_PAYING": true,
}

// rejectedCodes are business refusals whatever the HTTP status; WeChat Pay answers a few
// of them (INVALID_TRANSACTIONID, OPENID_MISMATCH) with 500, yet nothing was done.
var rejectedCodes = map[string]bool{
	"PARAM_ERROR": true, "INVALID_REQUEST": true, "SIGN_ERROR": true, "APPID_MCHID_NOT_MATCH": true,
	"MCH_NOT_EXISTS": true, "ORDER_CLOSED": true, "ORDERPAID": true, "ORDER_NOT_EXIST": true,
	"RESOURCE_NOT_EXISTS": true, "NO_AUTH": true, "NOT_ENOUGH": true, "OUT_TRADE_NO_USED": true,
	"RULE_LIMIT": true, "TRADE_ERROR": true, "ACCOUNT_ERROR": true, "USER_ACCOUNT_ABNORMAL": true,
	"INVALID_TRANSACTIONID": true, "OPENID_MISMATCH": true, "REQUEST_BLOCKED": true,
}

// Classify decides the outcome of an error answer from its HTTP status and code, per the
// table in the package documentation: known codes first, then the status class.
func Classify(status int, code string) Outcome {
	switch {
	case unknownCodes[code]:
		return OutcomeUnknown
	case rejectedCodes[code]:
		return OutcomeRejected
	case status == 429 || status == 202 || status >= 500:
		return OutcomeUnknown
	case status >= 400:
		return OutcomeRejected
	}
	return OutcomeUnknown
}

// ToPayment folds an error of this package into the core's coded errors: a rejection is
// UPSTREAM_REJECTED, an unknown outcome UPSTREAM_UNAVAILABLE, a notification that fails
// verification or decryption UNAUTHORIZED, a malformed one INVALID_PARAMETER. nil stays nil;
// any other error is returned unchanged (uncoded: INTERNAL).
func ToPayment(err error) error {
	var e *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e) && e.Outcome == OutcomeRejected:
		return payment.Errorf(payment.CodeUpstreamRejected, "wechat pay %s rejected: %s %s", e.Op, e.Code, e.Message)
	case errors.As(err, &e):
		return payment.Errorf(payment.CodeUpstreamUnavailable, "wechat pay %s: outcome unknown (%s)", e.Op, unknownReason(e))
	case errors.Is(err, ErrSignature), errors.Is(err, ErrDecrypt), errors.Is(err, ErrForeign):
		return payment.Errorf(payment.CodeUnauthorized, "%s", err.Error())
	case errors.Is(err, ErrMalformed):
		return payment.Errorf(payment.CodeInvalidParameter, "%s", err.Error())
	}
	return err
}

func unknownReason(e *Error) string {
	switch {
	case e.Code != "":
		return fmt.Sprintf("HTTP %d %s", e.Status, e.Code)
	case e.Status != 0:
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	}
	return e.Message
}
