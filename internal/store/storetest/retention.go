package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Purger is what a store offers the retention worker (internal/worker/purge.go).
type Purger interface {
	PurgeNonceBatch(ctx context.Context, now time.Time, limit int) (int64, error)
	PurgeNotifications(ctx context.Context, before time.Time, limit int) (int64, error)
	PurgeChannelCalls(ctx context.Context, before time.Time, limit int) (int64, error)
	PurgeDeliveryAttempts(ctx context.Context, before time.Time, limit int) (int64, error)
}

// testRetention: each purge deletes only what is past its time, oldest first and at most
// its limit at a time; it keeps the audit of an order or refund still in progress and the
// attempts of an event still being delivered, and never touches orders, refunds, events.
func testRetention(t *testing.T, s payment.Store) {
	ctx := context.Background()
	p, ok := s.(Purger)
	if !ok {
		t.Fatalf("%T has no purges", s)
	}
	day := 24 * time.Hour
	// Orders: done (paid, nothing due), pending, paid with a refund in progress.
	done := newOrder("app-a", "ret-done")
	done.Status, done.PaidAt = payment.StatusPaid, ptr(time.Minute)
	mustInsertOrder(t, s, done)
	pending := newOrder("app-a", "ret-pending")
	pending.NextCheckAt = ptr(time.Minute)
	mustInsertOrder(t, s, pending)
	refunding := newOrder("app-a", "ret-refunding")
	refunding.Status, refunding.PaidAt = payment.StatusPaid, ptr(time.Minute)
	mustInsertOrder(t, s, refunding)
	must(t, "InsertRefund", s.InsertRefund(ctx, newRefund(refunding, "r1", 100)))

	// Old audit rows (day 0) of each order and of no order, and a new one (day 100).
	for i, no := range []string{"ret-done", "ret-pending", "ret-refunding", "", "ret-done"} {
		when := at(time.Duration(i) * time.Second)
		if i == 4 {
			when = at(100 * day)
		}
		must(t, "InsertNotification", s.InsertNotification(ctx, &payment.NotificationRecord{ReceivedAt: when,
			OutTradeNo: no, Raw: "a=1", Outcome: "accepted"}))
		must(t, "InsertChannelCall", s.InsertChannelCall(ctx, &payment.ChannelCall{OutTradeNo: no,
			Method: "alipay.trade.query", Outcome: "ok", CreatedAt: when}))
	}
	// Events: one delivered, one still pending; each with an old attempt.
	delivered := newEvent("app-a", "ret-done", payment.EventPaymentSucceeded, 1)
	must(t, "InsertEvent", s.InsertEvent(ctx, delivered))
	undelivered := newEvent("app-a", "ret-refunding", payment.EventPaymentSucceeded, 2)
	must(t, "InsertEvent", s.InsertEvent(ctx, undelivered))
	ds, err := s.ClaimDeliveries(ctx, "w", at(time.Hour), at(time.Hour+time.Minute), 10)
	must(t, "ClaimDeliveries", err)
	for _, d := range ds {
		if d.EventID == delivered.ID {
			d.Status, d.NextAttemptAt, d.DeliveredAt, d.UpdatedAt = payment.DeliveryDelivered, nil, ptr(time.Hour), at(time.Hour)
			must(t, "FinishDelivery", s.FinishDelivery(ctx, d, "w"))
		}
	}
	for i, e := range []*payment.Event{delivered, undelivered, delivered} {
		when := at(time.Hour)
		if i == 2 {
			when = at(100 * day)
		}
		must(t, "InsertDeliveryAttempt", s.InsertDeliveryAttempt(ctx, &payment.DeliveryAttempt{EventID: e.ID,
			Attempt: i + 1, At: when, StatusCode: 500}))
	}
	// Nonces expiring at +1s, +2s, +3s and +1h.
	for i, exp := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, time.Hour} {
		must(t, "UseNonce", s.UseNonce(ctx, "app-a", seqName("ret-nonce-", i), t0, at(exp)))
	}

	// Nonces: at +2s the first two have expired; a limit of 1 takes them one at a time.
	purged := func(what string, n int64, err error, want int64) {
		t.Helper()
		must(t, what, err)
		if n != want {
			t.Errorf("%s purged %d rows, want %d", what, n, want)
		}
	}
	n, err := p.PurgeNonceBatch(ctx, at(2*time.Second), 1)
	purged("PurgeNonceBatch limit 1", n, err, 1)
	n, err = p.PurgeNonceBatch(ctx, at(2*time.Second), 10)
	purged("PurgeNonceBatch", n, err, 1)
	n, err = p.PurgeNonceBatch(ctx, at(2*time.Second), 10)
	purged("PurgeNonceBatch again", n, err, 0)
	wantErr(t, "an unexpired nonce is still refused", s.UseNonce(ctx, "app-a", seqName("ret-nonce-", 2), at(2*time.Second), at(time.Hour)), payment.ErrDuplicate)
	must(t, "a purged nonce, expired, may be used again", s.UseNonce(ctx, "app-a", seqName("ret-nonce-", 0), at(2*time.Second), at(time.Hour)))

	// Audit, 180 days kept, at day 180 + 1h: nothing is older yet but the day-0 rows…
	cut := at(180*day + time.Hour).Add(-180 * day)
	n, err = p.PurgeNotifications(ctx, cut, 1)
	purged("PurgeNotifications limit 1", n, err, 1)
	n, err = p.PurgeNotifications(ctx, cut, 100)
	purged("PurgeNotifications", n, err, 1) // ret-done's and the orderless one; not pending's nor refunding's
	n, err = p.PurgeChannelCalls(ctx, cut, 100)
	purged("PurgeChannelCalls", n, err, 2)
	n, err = p.PurgeDeliveryAttempts(ctx, at(2*time.Hour), 100)
	purged("PurgeDeliveryAttempts", n, err, 1) // the delivered event's old attempt only

	for _, c := range []struct {
		no   string
		want int
	}{{"ret-done", 1}, {"ret-pending", 1}, {"ret-refunding", 1}} {
		ns, err := s.ListNotifications(ctx, c.no, 10)
		must(t, "ListNotifications", err)
		cs, err := s.ListChannelCalls(ctx, c.no, 10)
		must(t, "ListChannelCalls", err)
		if len(ns) != c.want || len(cs) != c.want {
			t.Errorf("%s keeps %d notifications and %d calls, want %d of each", c.no, len(ns), len(cs), c.want)
		}
	}
	if ns, _ := s.ListNotifications(ctx, "ret-done", 10); len(ns) == 1 && !ns[0].ReceivedAt.Equal(at(100*day)) {
		t.Errorf("ret-done kept the notification of %v, want the new one", ns[0].ReceivedAt)
	}
	as, err := s.ListDeliveryAttempts(ctx, delivered.ID)
	must(t, "ListDeliveryAttempts", err)
	if len(as) != 1 || !as[0].At.Equal(at(100*day)) {
		t.Errorf("delivered event keeps %d attempts, want the new one", len(as))
	}
	as, err = s.ListDeliveryAttempts(ctx, undelivered.ID)
	must(t, "ListDeliveryAttempts", err)
	if len(as) != 1 {
		t.Errorf("undelivered event keeps %d attempts, want its 1", len(as))
	}

	// Once the order and refund are settled, their old rows go too.
	r, err := s.GetRefund(ctx, "ret-refunding", "r1")
	must(t, "GetRefund", err)
	r.Status = payment.RefundSucceeded
	must(t, "UpdateRefund", s.UpdateRefund(ctx, r))
	o, err := s.GetOrder(ctx, "ret-pending")
	must(t, "GetOrder", err)
	o.Status, o.NextCheckAt, o.ClosedAt = payment.StatusClosed, nil, ptr(time.Hour)
	must(t, "UpdateOrder", s.UpdateOrder(ctx, o))
	n, err = p.PurgeNotifications(ctx, cut, 100)
	purged("PurgeNotifications after settling", n, err, 2)
	n, err = p.PurgeChannelCalls(ctx, cut, 100)
	purged("PurgeChannelCalls after settling", n, err, 2)

	// Orders, refunds and events are all still there.
	for _, no := range []string{"ret-done", "ret-pending", "ret-refunding"} {
		if _, err := s.GetOrder(ctx, no); err != nil {
			t.Errorf("order %s: %v", no, err)
		}
	}
	if _, err := s.GetRefund(ctx, "ret-refunding", "r1"); err != nil {
		t.Errorf("refund: %v", err)
	}
	for _, e := range []*payment.Event{delivered, undelivered} {
		if _, err := s.GetEvent(ctx, e.ID); err != nil {
			t.Errorf("event %s: %v", e.ID, err)
		}
	}
}
