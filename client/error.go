package client

import (
	"errors"
	"fmt"
)

// Error codes of the merchant API (docs/api.md, "Errors").
const (
	CodeInvalidParameter    = "INVALID_PARAMETER"
	CodeUnauthorized        = "UNAUTHORIZED"
	CodeNotFound            = "NOT_FOUND"
	CodeConflict            = "CONFLICT"
	CodeUnprocessable       = "UNPROCESSABLE"
	CodeRateLimited         = "RATE_LIMITED"
	CodeUpstreamRejected    = "UPSTREAM_REJECTED"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	CodeInternal            = "INTERNAL"
	// CodePaymentFailed (402): Alipay refused a barcode charge; AlipaySubCode says why.
	CodePaymentFailed = "PAYMENT_FAILED"
)

// Error is an error answer of the gateway. Code is empty when the answer was not the
// gateway's error object (a proxy's page, say); Message then describes what came back.
type Error struct {
	Status        int    `json:"-"`
	Code          string `json:"code"`
	Message       string `json:"message"`
	RequestID     string `json:"request_id"`
	AlipayCode    string `json:"alipay_code,omitempty"`
	AlipaySubCode string `json:"alipay_sub_code,omitempty"`
	AlipaySubMsg  string `json:"alipay_sub_msg,omitempty"`
}

// Error formats the status, code, message and request id (and Alipay's codes if any).
func (e *Error) Error() string {
	s := fmt.Sprintf("f2fpay: %d %s: %s", e.Status, e.Code, e.Message)
	if e.AlipaySubCode != "" {
		s += fmt.Sprintf(" (alipay %s %s: %s)", e.AlipayCode, e.AlipaySubCode, e.AlipaySubMsg)
	}
	if e.RequestID != "" {
		s += " [request " + e.RequestID + "]"
	}
	return s
}

// ErrorCode returns the gateway's error code of err, or "" when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Temporary reports whether repeating the same request may succeed: the gateway could not
// reach Alipay (UPSTREAM_UNAVAILABLE, safe to repeat), or was rate-limited.
func (e *Error) Temporary() bool {
	return e.Code == CodeUpstreamUnavailable || e.Code == CodeRateLimited
}
