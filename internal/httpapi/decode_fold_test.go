package httpapi_test

import (
	"net/http"
	"testing"
)

// TestFieldSpellingsRefused: encoding/json matches field names case-insensitively and by
// Unicode folding ("ſ" is "s", "K" is "k"), so {"subject":"A","ſubject":"B"} or "SUBJECT"
// would carry the value that wins. Only the exact spelling of a field is accepted.
func TestFieldSpellingsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, body := range []string{
		`{"out_trade_no":"fold_1","total_amount":"1.00","subject":"shown","ſubject":"used"}`,
		`{"out_trade_no":"fold_2","total_amount":"1.00","SUBJECT":"upper"}`,
		`{"out_trade_no":"fold_3","total_amount":"1.00","subject":"s","metadata":{},"Kelvin":"x"}`,
	} {
		r := b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create", body: []byte(body)})
		wantError(t, r, http.StatusBadRequest, "INVALID_PARAMETER", "unknown field")
	}
}
