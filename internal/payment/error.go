package payment

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error; httpapi/error.go alone maps codes to HTTP statuses (docs/api.md, Errors).
type Code string

// Error codes of the merchant API.
const (
	CodeInvalidParameter    Code = "INVALID_PARAMETER"
	CodeUnauthorized        Code = "UNAUTHORIZED"
	CodeNotFound            Code = "NOT_FOUND"
	CodeConflict            Code = "CONFLICT"
	CodeUnprocessable       Code = "UNPROCESSABLE"
	CodeRateLimited         Code = "RATE_LIMITED"
	CodeUpstreamRejected    Code = "UPSTREAM_REJECTED"
	CodeUpstreamUnavailable Code = "UPSTREAM_UNAVAILABLE"
	CodeInternal            Code = "INTERNAL"
)

// Error is the one error type with a code. Message is safe to show to the caller.
// The Alipay fields are set for UPSTREAM_REJECTED (Alipay answered with a business error).
// RetryAfter, when positive, tells the caller how long to wait before repeating: the Alipay
// circuit breaker sets it on the UPSTREAM_UNAVAILABLE of a call it refused (docs/decisions.md,
// "Circuit breaker"), and httpapi sends it as Retry-After.
type Error struct {
	Code          Code
	Message       string
	AlipayCode    string
	AlipaySubCode string
	AlipaySubMsg  string
	RetryAfter    time.Duration
}

func (e *Error) Error() string {
	if e.AlipaySubCode != "" {
		return fmt.Sprintf("%s: %s (alipay %s %s)", e.Code, e.Message, e.AlipayCode, e.AlipaySubCode)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds a coded error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, INTERNAL for an uncoded error and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the caller-safe message of err: "internal error" for an uncoded error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	return "internal error"
}

// IsUnknownOutcome reports whether err leaves the result of a call to Alipay unknown
// (transport error, timeout, 20000, ACQ.SYSTEM_ERROR): it must be resolved by a query.
func IsUnknownOutcome(err error) bool { return ErrorCode(err) == CodeUpstreamUnavailable }

// Store sentinel errors; stores wrap nothing else across their boundary.
var (
	// ErrNotFound: no such row.
	ErrNotFound = Errorf(CodeNotFound, "not found")
	// ErrDuplicate: a unique key (out_trade_no, refund_no, event key, nonce) already exists.
	ErrDuplicate = Errorf(CodeConflict, "already exists")
	// ErrStale: an optimistic update found the row changed since it was read.
	ErrStale = Errorf(CodeConflict, "changed concurrently")
)
