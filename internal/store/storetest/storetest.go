// Package storetest is the conformance suite every payment.Store must pass (SQLite and
// PostgreSQL), so that the adapters stay interchangeable.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Run runs the suite. open must return a new, empty, migrated store that no other call
// of open shares, closing it when t ends: subtests run in parallel, each on its own.
func Run(t *testing.T, open func(t *testing.T) payment.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s payment.Store)
	}{
		{"Client", testClient},
		{"Nonce", testNonce},
		{"OrderRoundTrip", testOrderRoundTrip},
		{"OrderChannel", testOrderChannel},
		{"OrderUpdate", testOrderUpdate},
		{"OrderDuplicate", testOrderDuplicate},
		{"OptimisticLock", testOptimisticLock},
		{"NotFound", testNotFound},
		{"ListOrders", testListOrders},
		{"DueOrders", testDueOrders},
		{"Refund", testRefund},
		{"DueRefunds", testDueRefunds},
		{"Event", testEvent},
		{"ListEvents", testListEvents},
		{"Audit", testAudit},
		{"TxCommit", testTxCommit},
		{"TxRollback", testTxRollback},
		{"TxPanic", testTxPanic},
		{"TxIsolation", testTxIsolation},
		{"TxConcurrency", testTxConcurrency},
		// Outbox delivery and reconciler claims: delivery.go, claim.go.
		{"DeliveryCreated", testDeliveryCreated},
		{"DeliveryLease", testDeliveryLease},
		{"DeliveryAttempts", testDeliveryAttempts},
		{"DeliveryClaimRace", testDeliveryClaimRace},
		{"ClaimDueOrders", testClaimDueOrders},
		{"ClaimDueRefunds", testClaimDueRefunds},
		{"ClaimRace", testClaimRace},
		// Outbox relay cursors (docs/deploy.md, Several instances): relay.go.
		{"Relay", testRelay},
		// Queue depths for GET /metrics: depth.go.
		{"QueueDepths", testQueueDepths},
		// The Alipay channel's certificate cache: alipaycert.go.
		{"AlipayCerts", testAlipayCerts},
		// Reconciliation against Alipay's bill: recon.go.
		{"ReconRun", testReconRun},
		{"Discrepancy", testDiscrepancy},
		{"PaidOrders", testPaidOrders},
		{"ReconSchedule", testReconSchedule},
		// Barcode orders (alipay.trade.pay): charge.go.
		{"BarcodeOrder", testBarcodeOrder},
		// Retention: retention.go.
		{"Retention", testRetention},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// t0 has microseconds, the precision every store keeps, to prove they survive.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// ptr returns a pointer to t0 plus d.
func ptr(d time.Duration) *time.Time { v := at(d); return &v }

// newOrder returns a pending order with every mandatory field set and unique keys.
func newOrder(client, outTradeNo string) *payment.Order {
	return &payment.Order{
		ClientID:       client,
		OutTradeNo:     outTradeNo,
		TotalAmount:    990,
		Subject:        "测试商品",
		Status:         payment.StatusPending,
		CashierToken:   "tok-" + outTradeNo,
		TimeoutMinutes: 15,
		CreatedAt:      t0,
		UpdatedAt:      t0,
		ExpiresAt:      at(15 * time.Minute),
		Kind:           payment.KindQR,
	}
}

// newRefund returns a pending refund of an order.
func newRefund(o *payment.Order, refundNo string, amount payment.Amount) *payment.Refund {
	return &payment.Refund{
		ClientID: o.ClientID, OutTradeNo: o.OutTradeNo, RefundNo: refundNo, Amount: amount,
		Status: payment.RefundPending, CreatedAt: t0, UpdatedAt: t0,
	}
}

// mustInsertOrder inserts o or fails the test.
func mustInsertOrder(t *testing.T, q payment.Queries, o *payment.Order) *payment.Order {
	t.Helper()
	if err := q.InsertOrder(context.Background(), o); err != nil {
		t.Fatalf("InsertOrder(%s): %v", o.OutTradeNo, err)
	}
	return o
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// must fails the test now on an error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// equal fails the test unless got and want are deeply equal.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, deref(got), deref(want))
	}
}

// deref prints pointers' targets, so that a mismatch shows its fields.
func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return rv.Elem().Interface()
	}
	return v
}

// orderNos returns the out_trade_nos of os, to compare listings.
func orderNos(os []*payment.Order) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.OutTradeNo)
	}
	return out
}

// seqName is a short unique name for fixture i.
func seqName(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i) }
