package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// The same vector as client's TestSignGoldenVectors (computed with openssl): the server and
// the client must agree byte for byte without sharing code.
func TestStringToSignGolden(t *testing.T) {
	t.Parallel()
	q, _ := url.ParseQuery("status=paid&limit=10&b=a%20b&a=2&a=1&x=%7E+y")
	cq := canonicalQuery(q)
	if cq != "a=1&a=2&b=a%20b&limit=10&status=paid&x=~%20y" {
		t.Fatalf("canonical query %q", cq)
	}
	sts := stringToSign("GET", "/api/v1/payment/list", cq, "1700000000", "abcdefghijklmnop0123", nil)
	const sig = "6c7632709152bedd3ad8ea832c297146c0f19e7c23ec412e6b7b190b2bde471c"
	if !verifyAny([][]byte{[]byte("other"), []byte("sk_test")}, sts, sig) {
		t.Fatal("golden signature refused")
	}
	if verifyAny([][]byte{[]byte("other")}, sts, sig) {
		t.Fatal("signature accepted under the wrong secret")
	}
	if verifyAny([][]byte{[]byte("sk_test")}, sts, strings.ToUpper(sig)) {
		t.Fatal("upper-case signature accepted")
	}
	want := "GET\n/api/v1/payment/list\n" + cq + "\n1700000000\nabcdefghijklmnop0123\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if sts != want {
		t.Fatalf("string to sign\n%q\nwant\n%q", sts, want)
	}
}

func TestRFC3986(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":            "",
		"AZaz09-._~":  "AZaz09-._~",
		" ":           "%20",
		"+&=/?#%":     "%2B%26%3D%2F%3F%23%25",
		"测":           "%E6%B5%8B",
		"\x00\xff":    "%00%FF",
		"a b+c":       "a%20b%2Bc",
		"!*'();:@$,[": "%21%2A%27%28%29%3B%3A%40%24%2C%5B",
	} {
		if got := rfc3986(in); got != want {
			t.Errorf("rfc3986(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	type inner struct {
		A string            `json:"a"`
		N int               `json:"n"`
		M map[string]string `json:"m"`
	}
	cases := []struct{ body, wantMsg string }{
		{`{"a":"x","n":1,"m":{"k":"v"}}`, ""},
		{` {"a":"x"} `, ""},
		{``, "request body must be a JSON object"},
		{`[]`, "request body must be a JSON object"},
		{`"x"`, "request body must be a JSON object"},
		{`null`, "request body must be a JSON object"},
		{`{"a":"x"`, "request body is not valid JSON"},
		{`{"a":"x",}`, "request body is not valid JSON"},
		{`{"a":"x"}{}`, "nothing after it"},
		{`{"a":"x"} x`, "nothing after it"},
		{`{"a":"x","a":"y"}`, "duplicate field a"},
		{`{"m":{"k":"1","k":"2"}}`, "duplicate field m.k"},
		{`{"zz":1}`, `unknown field "zz"`},
		{`{"n":"1"}`, "n must be an integer"},
		{`{"n":1.5}`, "n must be an integer"},
		{`{"a":1}`, "a must be a string"},
		{`{"m":{"k":1}}`, "m values must be strings"},
		{`{"m":[]}`, "m must be an object"},
		{"{\"a\":\"\xff\"}", "valid UTF-8"},
	}
	for _, tc := range cases {
		var v inner
		err := decodeStrict([]byte(tc.body), &v)
		if tc.wantMsg == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.body, err)
			}
			continue
		}
		var e *payment.Error
		if !errors.As(err, &e) || e.Code != payment.CodeInvalidParameter || !strings.Contains(e.Message, tc.wantMsg) {
			t.Errorf("%s: got %v, want INVALID_PARAMETER containing %q", tc.body, err, tc.wantMsg)
		}
	}
}

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

// TestDecodeStrictDeepNesting: a body nested as deep as 64 KiB allows is refused quickly
// (the walk and its field paths stay linear) instead of costing quadratic time.
func TestDecodeStrictDeepNesting(t *testing.T) {
	t.Parallel()
	deep := `{"metadata":` + strings.Repeat("[", 30000) + strings.Repeat("]", 30000) + `}`
	var v createPaymentBody
	err := decodeStrict([]byte(deep), &v)
	if payment.ErrorCode(err) != payment.CodeInvalidParameter || !strings.Contains(payment.ErrorMessage(err), "nests deeper") {
		t.Fatalf("deep body: %v", err)
	}
	ok := `{"metadata":{"a":"b"},"subject":"s"}`
	if err := decodeStrict([]byte(ok), &v); err != nil {
		t.Fatal(err)
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
