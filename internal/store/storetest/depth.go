package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// testQueueDepths: pending deliveries (leased or not) count until finished; orders count
// once their check is due; refunds count while they await a check. It also works in a Tx.
func testQueueDepths(t *testing.T, s payment.Store) {
	ctx := context.Background()
	depths := func(q payment.Queries, now time.Time) payment.QueueDepths {
		t.Helper()
		d, err := q.QueueDepths(ctx, now)
		must(t, "QueueDepths", err)
		return d
	}
	equal(t, "empty store", depths(s, t0), payment.QueueDepths{})

	for i, due := range []*time.Time{ptr(time.Minute), nil, ptr(2 * time.Minute), ptr(time.Hour)} {
		o := newOrder("app-a", seqName("qd", i))
		o.NextCheckAt = due
		mustInsertOrder(t, s, o)
	}
	o, err := s.GetOrder(ctx, "qd000")
	must(t, "GetOrder", err)
	for i, due := range []*time.Time{ptr(time.Minute), nil, ptr(time.Hour)} {
		r := newRefund(o, seqName("r", i), 1)
		r.NextCheckAt = due
		if due == nil {
			r.Status = payment.RefundSucceeded
		}
		must(t, "InsertRefund", s.InsertRefund(ctx, r))
	}
	for i := range 3 {
		e := newEvent("app-a", "qd000", payment.EventPaymentSucceeded, i)
		must(t, "InsertEvent", s.InsertEvent(ctx, e))
	}
	equal(t, "at +2m", depths(s, at(2*time.Minute)), payment.QueueDepths{WebhooksPending: 3, OrdersDue: 2, RefundsPending: 2})
	equal(t, "at t0", depths(s, t0).OrdersDue, int64(0))

	// A leased delivery is still pending; a finished one is not.
	ds, err := s.ClaimDeliveries(ctx, "w1", at(time.Minute), at(2*time.Minute), 2)
	must(t, "ClaimDeliveries", err)
	equal(t, "claimed", len(ds), 2)
	equal(t, "leased", depths(s, at(2*time.Minute)).WebhooksPending, int64(3))
	d := ds[0]
	d.Status, d.Attempts, d.NextAttemptAt, d.DeliveredAt, d.UpdatedAt = payment.DeliveryDelivered, 1, nil, ptr(time.Minute), at(time.Minute)
	must(t, "FinishDelivery", s.FinishDelivery(ctx, d, "w1"))
	must(t, "Tx", s.Tx(ctx, func(q payment.Queries) error {
		equal(t, "after delivery, in a Tx", depths(q, at(2*time.Minute)),
			payment.QueueDepths{WebhooksPending: 2, OrdersDue: 2, RefundsPending: 2})
		return nil
	}))
}
