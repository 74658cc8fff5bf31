package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

func TestRenderError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err    error
		status int
		code   payment.Code
		msg    string
	}{
		{payment.Errorf(payment.CodeInvalidParameter, "x bad"), 400, payment.CodeInvalidParameter, "x bad"},
		{payment.Errorf(payment.CodeUnauthorized, "bad signature"), 401, payment.CodeUnauthorized, "bad signature"},
		{payment.Errorf(payment.CodeNotFound, "nf"), 404, payment.CodeNotFound, "nf"},
		{payment.Errorf(payment.CodeConflict, "c"), 409, payment.CodeConflict, "c"},
		{payment.Errorf(payment.CodeUnprocessable, "u"), 422, payment.CodeUnprocessable, "u"},
		{payment.Errorf(payment.CodeRateLimited, "r"), 429, payment.CodeRateLimited, "r"},
		{payment.Errorf(payment.CodeUpstreamUnavailable, "down"), 503, payment.CodeUpstreamUnavailable, "down"},
		{payment.Errorf(payment.CodeInternal, "secret detail"), 500, payment.CodeInternal, "internal error"},
		{errors.New("sql: connection refused at 10.0.0.1"), 500, payment.CodeInternal, "internal error"},
		{&payment.Error{Code: "SOMETHING_NEW", Message: "leak"}, 500, payment.CodeInternal, "internal error"},
	}
	for _, tc := range cases {
		status, obj := render(tc.err, "req_1")
		if status != tc.status || obj.Code != tc.code || obj.Message != tc.msg || obj.RequestID != "req_1" {
			t.Errorf("%v: got %d %+v", tc.err, status, obj)
		}
		if obj.AlipayCode != "" || obj.AlipaySubCode != "" {
			t.Errorf("%v: alipay fields set: %+v", tc.err, obj)
		}
	}
	up := &payment.Error{Code: payment.CodeUpstreamRejected, Message: "rejected", AlipayCode: "40004",
		AlipaySubCode: "ACQ.TRADE_HAS_SUCCESS", AlipaySubMsg: "trade paid"}
	status, obj := render(up, "req_2")
	if status != http.StatusBadGateway || obj.AlipayCode != "40004" || obj.AlipaySubCode != "ACQ.TRADE_HAS_SUCCESS" || obj.AlipaySubMsg != "trade paid" {
		t.Errorf("upstream rejected: %d %+v", status, obj)
	}
	// Every code of the core has a status.
	for _, code := range []payment.Code{payment.CodeInvalidParameter, payment.CodeUnauthorized, payment.CodeNotFound,
		payment.CodeConflict, payment.CodeUnprocessable, payment.CodeRateLimited, payment.CodeUpstreamRejected,
		payment.CodeUpstreamUnavailable, payment.CodeInternal} {
		if _, ok := statusOf[code]; !ok {
			t.Errorf("no status for %s", code)
		}
	}
}

// TestRetryAfterHeader: a coded error's RetryAfter (the circuit breaker's refusals) becomes
// Retry-After in whole seconds, rounded up, at least 1; none without it.
func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.TestMode)
	cases := []struct {
		err  error
		want string
	}{
		{&payment.Error{Code: payment.CodeUpstreamUnavailable, Message: "paused", RetryAfter: 1500 * time.Millisecond}, "2"},
		{&payment.Error{Code: payment.CodeUpstreamUnavailable, Message: "paused", RetryAfter: 200 * time.Millisecond}, "1"},
		{&payment.Error{Code: payment.CodeUpstreamUnavailable, Message: "paused", RetryAfter: 30 * time.Second}, "30"},
		{fmt.Errorf("create: %w", &payment.Error{Code: payment.CodeUpstreamUnavailable, Message: "paused", RetryAfter: 5 * time.Second}), "5"},
		{payment.Errorf(payment.CodeUpstreamUnavailable, "timeout"), ""},
		{&payment.Error{Code: payment.CodeInternal, Message: "x", RetryAfter: time.Second}, ""},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodPost, "/api/v1/payment/create", nil)
		writeError(c, tc.err)
		if got := rec.Header().Get("Retry-After"); got != tc.want {
			t.Errorf("%v: Retry-After %q, want %q", tc.err, got, tc.want)
		}
	}
}
