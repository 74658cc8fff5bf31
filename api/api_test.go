package api_test

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/f2fpay/f2fpay/api"
)

// TestOpenAPIIsValid loads the embedded document and checks it against the OpenAPI 3
// rules (references resolve, schemas are well-formed, examples match).
func TestOpenAPIIsValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	for _, p := range []string{"/api/v1/payment/create", "/api/v1/payment/query/{out_trade_no}",
		"/api/v1/payment/close", "/api/v1/payment/list", "/api/v1/payment/refund",
		"/api/v1/payment/refund/query/{out_trade_no}/{refund_no}", "/api/v1/payment/events",
		"/api/v1/payment/events/{event_id}/resend"} {
		if doc.Paths.Find(p) == nil {
			t.Errorf("path %s is not described", p)
		}
	}
	if len(doc.Components.SecuritySchemes) != 4 {
		t.Errorf("%d security schemes, want the four auth headers", len(doc.Components.SecuritySchemes))
	}
}
