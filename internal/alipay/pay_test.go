package alipay

import (
	"strings"
	"testing"
)

// TestMaskAuthCode: the business parameters kept for the timeline show only the payment
// code's last four digits; parameters without a code pass unchanged.
func TestMaskAuthCode(t *testing.T) {
	got := maskAuthCode(`{"out_trade_no":"a1","auth_code":"281234567890123456","scene":"bar_code"}`)
	if strings.Contains(got, "2812345678901") || !strings.Contains(got, `"auth_code":"**************3456"`) || !strings.Contains(got, `"out_trade_no":"a1"`) {
		t.Errorf("masked: %s", got)
	}
	for _, in := range []string{`{"out_trade_no":"a1"}`, `not json "auth_code"`, `{"auth_code":""}`} {
		if got := maskAuthCode(in); got != in {
			t.Errorf("maskAuthCode(%s) = %s, want it unchanged", in, got)
		}
	}
}
