package httpapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
)

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
