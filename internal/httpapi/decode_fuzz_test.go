package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// FuzzDecodeStrict feeds arbitrary bytes to the strict JSON decoder: it must never panic,
// must only fail with INVALID_PARAMETER, and must accept only one valid UTF-8 JSON object
// without duplicate keys or unknown fields.
func FuzzDecodeStrict(f *testing.F) {
	f.Add([]byte(`{"out_trade_no":"A1","total_amount":"9.90","subject":"s","metadata":{"k":"v"}}`))
	f.Add([]byte(`{"out_trade_no":"A1","out_trade_no":"A2"}`))
	f.Add([]byte(`{"metadata":{"a":{"b":[1,{"c":1,"c":2}]}}}`))
	f.Add([]byte("{\"subject\":\"\xff\"}"))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var v createPaymentBody
		err := decodeStrict(body, &v)
		if err != nil {
			if payment.ErrorCode(err) != payment.CodeInvalidParameter {
				t.Fatalf("error %v is not INVALID_PARAMETER", err)
			}
			return
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("accepted invalid UTF-8 or JSON: %q", body)
		}
		trimmed := bytes.TrimSpace(body)
		if len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("accepted a non-object: %q", body)
		}
		var generic map[string]json.RawMessage
		if err := json.Unmarshal(body, &generic); err != nil {
			t.Fatalf("accepted %q that is not an object: %v", body, err)
		}
		known := map[string]bool{"out_trade_no": true, "total_amount": true, "subject": true, "body": true,
			"timeout_minutes": true, "notify_url": true, "metadata": true}
		for k := range generic {
			if !known[k] && !knownFold(known, k) {
				t.Fatalf("accepted unknown field %q", k)
			}
		}
		if err := checkDuplicateKeys(body); err != nil {
			t.Fatalf("accepted duplicate keys: %q", body)
		}
	})
}

// knownFold reports whether k matches a known field case-insensitively, as encoding/json
// matches field names.
func knownFold(known map[string]bool, k string) bool {
	for name := range known {
		if bytes.EqualFold([]byte(name), []byte(k)) {
			return true
		}
	}
	return false
}
