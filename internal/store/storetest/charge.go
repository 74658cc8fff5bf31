package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// testBarcodeOrder: a barcode order keeps its kind, code digest and timeout, and an update
// records Alipay's refusal; an order inserted without a kind reads back as a QR order.
func testBarcodeOrder(t *testing.T, s payment.Store) {
	ctx := context.Background()
	o := newOrder("app-a", "bc-1")
	o.Kind, o.AuthCodeSHA256, o.TimeoutSeconds, o.TimeoutMinutes = payment.KindBarcode, "ab12", 45, 0
	mustInsertOrder(t, s, o)
	got, err := s.GetOrder(ctx, "bc-1")
	must(t, "GetOrder", err)
	equal(t, "barcode order", got, o)

	got.Status, got.ClosedAt = payment.StatusClosed, ptr(time.Minute)
	got.FailureCode, got.FailureSubCode, got.FailureReason = "40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"
	must(t, "UpdateOrder", s.UpdateOrder(ctx, got))
	again, err := s.GetOrder(ctx, "bc-1")
	must(t, "GetOrder after update", err)
	equal(t, "refused barcode order", again, got)

	plain := newOrder("app-a", "bc-kindless")
	plain.Kind = ""
	mustInsertOrder(t, s, plain)
	got, err = s.GetOrder(ctx, "bc-kindless")
	must(t, "GetOrder kindless", err)
	if got.Kind != payment.KindQR {
		t.Errorf("an order inserted without a kind reads back as %q, want %q", got.Kind, payment.KindQR)
	}
}
