package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/f2fpay/f2fpay/api"
	"github.com/f2fpay/f2fpay/internal/payment"
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

// TestReconciliationEventSchema: a reconciliation.completed event as the core writes it,
// negative fee and net included, is what the document describes.
func TestReconciliationEventSchema(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	run := &payment.ReconRun{ID: 7, Day: "2026-11-28", Trigger: payment.TriggerSchedule, Source: payment.SourceAlipay,
		Status: payment.RunCompleted, StartedAt: time.Now().UTC(), FinishedAt: time.Now().UTC(), Found: 2, Resolved: 1, Open: 1,
		Totals: payment.ReconTotals{Books: payment.BillTotals{TradeCount: 1, TradeAmount: 990},
			Bill:    payment.BillTotals{TradeCount: 1, TradeAmount: 990, RefundCount: 2, RefundAmount: 1500, Fee: -6},
			Summary: &payment.BillSummary{TradeCount: 1, RefundCount: 2, Amount: -510, Fee: -6}}}
	data, _ := json.Marshal(payment.ReconciliationView(run))
	body, _ := json.Marshal(payment.EventObject{ID: "evt_x", Type: payment.EventReconciliationCompleted, CreatedAt: time.Now().UTC(), Data: data})
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if err := doc.Components.Schemas["Event"].Value.VisitJSON(v); err != nil {
		t.Fatalf("%s\n%v", body, err)
	}
}
