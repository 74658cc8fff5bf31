package wechatpay

import (
	"errors"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// The table of the package documentation, row by row.
func TestClassifyFollowsTheDocumentedTable(t *testing.T) {
	cases := []struct {
		status int
		code   string
		want   Outcome
	}{
		{500, "SYSTEM_ERROR", OutcomeUnknown},
		{500, "BANK_ERROR", OutcomeUnknown},
		{429, "FREQUENCY_LIMITED", OutcomeUnknown},
		{429, "RATELIMIT_EXCEEDED", OutcomeUnknown},
		{503, "SERVICE_UNAVAILABLE", OutcomeUnknown},
		{202, "USER_PAYING", OutcomeUnknown},
		{400, "PARAM_ERROR", OutcomeRejected},
		{400, "INVALID_REQUEST", OutcomeRejected},
		{400, "ORDERPAID", OutcomeRejected},
		{400, "ORDER_CLOSED", OutcomeRejected},
		{401, "SIGN_ERROR", OutcomeRejected},
		{403, "NOT_ENOUGH", OutcomeRejected},
		{403, "OUT_TRADE_NO_USED", OutcomeRejected},
		{403, "USER_ACCOUNT_ABNORMAL", OutcomeRejected},
		{404, "ORDER_NOT_EXIST", OutcomeRejected},
		{404, "RESOURCE_NOT_EXISTS", OutcomeRejected},
		{500, "INVALID_TRANSACTIONID", OutcomeRejected},
		{500, "OPENID_MISMATCH", OutcomeRejected},
		{418, "SOMETHING_NEW", OutcomeRejected},
		{502, "", OutcomeUnknown},
		{504, "SOMETHING_NEW", OutcomeUnknown},
		{301, "", OutcomeUnknown},
	}
	for _, c := range cases {
		if got := Classify(c.status, c.code); got != c.want {
			t.Errorf("Classify(%d, %q) = %s, want %s", c.status, c.code, got, c.want)
		}
	}
}

func TestToPayment(t *testing.T) {
	cases := []struct {
		err  error
		want payment.Code
	}{
		{&Error{Op: "refund", Status: 403, Code: "NOT_ENOUGH", Message: "余额不足", Outcome: OutcomeRejected}, payment.CodeUpstreamRejected},
		{&Error{Op: "native", Status: 500, Code: "SYSTEM_ERROR", Outcome: OutcomeUnknown}, payment.CodeUpstreamUnavailable},
		{&Error{Op: "query", Outcome: OutcomeUnknown, Message: "timed out"}, payment.CodeUpstreamUnavailable},
		{ErrSignature, payment.CodeUnauthorized},
		{ErrDecrypt, payment.CodeUnauthorized},
		{ErrMalformed, payment.CodeInvalidParameter},
		{errors.New("disk full"), payment.CodeInternal},
	}
	for _, c := range cases {
		if got := payment.ErrorCode(ToPayment(c.err)); got != c.want {
			t.Errorf("ToPayment(%v) = %s, want %s", c.err, got, c.want)
		}
	}
	if ToPayment(nil) != nil {
		t.Error("nil became an error")
	}
	if !payment.IsUnknownOutcome(ToPayment(&Error{Op: "close", Status: 502, Outcome: OutcomeUnknown})) {
		t.Error("an unknown outcome is not IsUnknownOutcome")
	}
	if ErrorCode(ToPayment(nil)) != "" || ErrorCode(&Error{Code: "ORDERPAID"}) != "ORDERPAID" {
		t.Error("ErrorCode")
	}
}
