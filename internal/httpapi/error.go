package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// statusOf is the only table from error code to HTTP status (docs/api.md, Errors).
var statusOf = map[payment.Code]int{
	payment.CodeInvalidParameter:    http.StatusBadRequest,
	payment.CodeUnauthorized:        http.StatusUnauthorized,
	payment.CodeNotFound:            http.StatusNotFound,
	payment.CodeConflict:            http.StatusConflict,
	payment.CodeUnprocessable:       http.StatusUnprocessableEntity,
	payment.CodeRateLimited:         http.StatusTooManyRequests,
	payment.CodeUpstreamRejected:    http.StatusBadGateway,
	payment.CodeUpstreamUnavailable: http.StatusServiceUnavailable,
	payment.CodeInternal:            http.StatusInternalServerError,
	payment.CodePaymentFailed:       http.StatusPaymentRequired,
}

// errorObject is the body of every error answer: {"error":{…}}.
type errorObject struct {
	Code          payment.Code `json:"code"`
	Message       string       `json:"message"`
	RequestID     string       `json:"request_id"`
	AlipayCode    string       `json:"alipay_code,omitempty"`
	AlipaySubCode string       `json:"alipay_sub_code,omitempty"`
	AlipaySubMsg  string       `json:"alipay_sub_msg,omitempty"`
}

// render turns err into the error object and its HTTP status. An uncoded error, or a code
// missing from the table, becomes INTERNAL with the message "internal error" only.
func render(err error, requestID string) (int, errorObject) {
	var e *payment.Error
	if !errors.As(err, &e) {
		e = &payment.Error{Code: payment.CodeInternal}
	}
	status, ok := statusOf[e.Code]
	if !ok || e.Code == payment.CodeInternal {
		return http.StatusInternalServerError, errorObject{Code: payment.CodeInternal, Message: "internal error", RequestID: requestID}
	}
	obj := errorObject{Code: e.Code, Message: e.Message, RequestID: requestID}
	if e.Code == payment.CodeUpstreamRejected || e.Code == payment.CodePaymentFailed {
		obj.AlipayCode, obj.AlipaySubCode, obj.AlipaySubMsg = e.AlipayCode, e.AlipaySubCode, e.AlipaySubMsg
	}
	return status, obj
}

// writeError answers err with its status and error object and aborts the chain. The cause
// of an INTERNAL error is logged, never shown.
func writeError(c *gin.Context, err error) {
	status, obj := render(err, requestIDOf(c))
	writeErrorObject(c, status, obj, err)
}

// writeErrorStatus answers a coded error with an explicit status that the code table does
// not give: 413 for an oversized body is an INVALID_PARAMETER error answered with 413, as
// docs/api.md (Errors) asks for the status while the code stays one of the table's.
func writeErrorStatus(c *gin.Context, status int, err error) {
	_, obj := render(err, requestIDOf(c))
	writeErrorObject(c, status, obj, err)
}

func writeErrorObject(c *gin.Context, status int, obj errorObject, err error) {
	if obj.Code == payment.CodeInternal {
		logFrom(c).ErrorContext(c.Request.Context(), "internal error", slog.String("request_id", obj.RequestID), slog.Any("err", err))
	}
	if d := retryAfterOf(err); d > 0 && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(d)))
	}
	if obj.Code == payment.CodeRateLimited && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", strconv.Itoa(1))
	}
	c.Set(ctxErrorCode, string(obj.Code))
	c.AbortWithStatusJSON(status, gin.H{"error": obj})
}

// retryAfterOf is the wait a coded error asks of the caller (payment.Error.RetryAfter: the
// Alipay circuit breaker's refusals), 0 for none.
func retryAfterOf(err error) time.Duration {
	var e *payment.Error
	if errors.As(err, &e) && e.Code != payment.CodeInternal {
		return e.RetryAfter
	}
	return 0
}
