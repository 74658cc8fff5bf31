package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// testDeliveryCreated: every event gets a pending delivery due at its creation, in the same
// transaction (a rolled-back event leaves none).
func testDeliveryCreated(t *testing.T, s payment.Store) {
	ctx := context.Background()
	e := newEvent("app-a", "dl-1", payment.EventPaymentSucceeded, 1)
	must(t, "InsertEvent", s.InsertEvent(ctx, e))
	d, err := s.GetDelivery(ctx, e.ID)
	must(t, "GetDelivery", err)
	equal(t, "new delivery", d, &payment.Delivery{EventID: e.ID, Status: payment.DeliveryPending,
		NextAttemptAt: &e.CreatedAt, UpdatedAt: e.CreatedAt})

	rolled := newEvent("app-a", "dl-2", payment.EventPaymentSucceeded, 2)
	boom := errors.New("boom")
	err = s.Tx(ctx, func(q payment.Queries) error {
		if err := q.InsertEvent(ctx, rolled); err != nil {
			return err
		}
		if _, err := q.GetDelivery(ctx, rolled.ID); err != nil {
			return fmt.Errorf("delivery not visible inside the transaction: %w", err)
		}
		return boom
	})
	wantErr(t, "rolled back Tx", err, boom)
	_, err = s.GetDelivery(ctx, rolled.ID)
	wantErr(t, "delivery of a rolled-back event", err, payment.ErrNotFound)
	_, err = s.GetDelivery(ctx, "evt_none")
	wantErr(t, "unknown event", err, payment.ErrNotFound)
	wantErr(t, "reset unknown", s.ResetDelivery(ctx, "evt_none", t0), payment.ErrNotFound)
}

// testDeliveryLease: claims take due deliveries only, lease them, and give them back when
// the lease ends; a finish by a lost lease is stale; reset revives a finished delivery.
func testDeliveryLease(t *testing.T, s payment.Store) {
	ctx := context.Background()
	var ids []string
	for i := range 4 { // created at t0+0s … t0+3s
		e := newEvent("app-a", seqName("dl", i), payment.EventPaymentSucceeded, i)
		must(t, "InsertEvent", s.InsertEvent(ctx, e))
		ids = append(ids, e.ID)
	}
	claim := func(owner string, now time.Time, limit int) []string {
		t.Helper()
		ds, err := s.ClaimDeliveries(ctx, owner, now, now.Add(time.Minute), limit)
		must(t, "ClaimDeliveries", err)
		out := []string{}
		for _, d := range ds {
			if d.LeaseOwner != owner || d.LeaseUntil == nil || !d.LeaseUntil.Equal(now.Add(time.Minute)) ||
				!d.NextAttemptAt.Equal(now.Add(time.Minute)) {
				t.Errorf("claimed %+v: want lease of %s until %v", d, owner, now.Add(time.Minute))
			}
			out = append(out, d.EventID)
		}
		return out
	}
	equal(t, "claim at +1s, limit 1", claim("w1", at(time.Second), 1), []string{ids[0]})
	equal(t, "claim at +1s", claim("w2", at(time.Second), 10), []string{ids[1]})
	equal(t, "nothing left due", claim("w3", at(time.Second), 10), []string{})
	equal(t, "claim at +10s", claim("w3", at(10*time.Second), 10), []string{ids[2], ids[3]})

	// w1 finishes: delivered; w2's lease ends and w4 takes the delivery over.
	d, err := s.GetDelivery(ctx, ids[0])
	must(t, "GetDelivery", err)
	d.Status, d.Attempts, d.NextAttemptAt, d.DeliveredAt, d.UpdatedAt = payment.DeliveryDelivered, 1, nil, ptr(2*time.Second), at(2*time.Second)
	must(t, "FinishDelivery w1", s.FinishDelivery(ctx, d, "w1"))
	got, err := s.GetDelivery(ctx, ids[0])
	must(t, "GetDelivery", err)
	equal(t, "finished delivery", got, d)
	equal(t, "after lease end", claim("w4", at(62*time.Second), 10), []string{ids[1]})
	stale := &payment.Delivery{EventID: ids[1], Status: payment.DeliveryDead, UpdatedAt: at(63 * time.Second)}
	wantErr(t, "finish by a lost lease", s.FinishDelivery(ctx, stale, "w2"), payment.ErrStale)
	wantErr(t, "finish unknown", s.FinishDelivery(ctx, &payment.Delivery{EventID: "evt_none"}, "w2"), payment.ErrNotFound)
	retry := ptr(2 * time.Minute)
	d2 := &payment.Delivery{EventID: ids[1], Status: payment.DeliveryPending, Attempts: 1, Failures: 1,
		NextAttemptAt: retry, LastError: "HTTP 500", UpdatedAt: at(63 * time.Second)}
	must(t, "FinishDelivery w4", s.FinishDelivery(ctx, d2, "w4"))
	wantErr(t, "finish twice", s.FinishDelivery(ctx, d2, "w4"), payment.ErrStale)
	equal(t, "w3's leases ended", claim("w5", at(time.Minute+59*time.Second), 10), []string{ids[2], ids[3]})
	equal(t, "retry due", claim("w5", at(2*time.Minute), 10), []string{ids[1]})

	// Resend: the delivered one is pending and due again, with a fresh schedule.
	must(t, "ResetDelivery", s.ResetDelivery(ctx, ids[0], at(150*time.Second)))
	got, err = s.GetDelivery(ctx, ids[0])
	must(t, "GetDelivery", err)
	want := *d
	want.Status, want.NextAttemptAt, want.UpdatedAt = payment.DeliveryPending, ptr(150*time.Second), at(150*time.Second)
	equal(t, "reset delivery", got, &want)
	equal(t, "claim after reset", claim("w6", at(150*time.Second), 10), []string{ids[0]})
}

// testDeliveryAttempts: attempts round-trip and list per event, oldest first.
func testDeliveryAttempts(t *testing.T, s payment.Store) {
	ctx := context.Background()
	e := newEvent("app-a", "da-1", payment.EventPaymentSucceeded, 1)
	must(t, "InsertEvent", s.InsertEvent(ctx, e))
	other := newEvent("app-a", "da-2", payment.EventPaymentSucceeded, 2)
	must(t, "InsertEvent", s.InsertEvent(ctx, other))
	a1 := &payment.DeliveryAttempt{EventID: e.ID, Attempt: 1, URL: "https://m.example/hook", At: at(time.Second),
		StatusCode: 503, Latency: 1234 * time.Microsecond, Error: "HTTP 503", Response: "busy ✓"}
	a2 := &payment.DeliveryAttempt{EventID: e.ID, Attempt: 2, URL: "https://m.example/hook", At: at(16 * time.Second),
		Error: "dial tcp: connection refused"}
	a3 := &payment.DeliveryAttempt{EventID: other.ID, Attempt: 1, At: at(time.Second), StatusCode: 200}
	for _, a := range []*payment.DeliveryAttempt{a1, a3, a2} {
		must(t, "InsertDeliveryAttempt", s.InsertDeliveryAttempt(ctx, a))
		if a.ID == 0 {
			t.Fatal("attempt ID not set")
		}
	}
	got, err := s.ListDeliveryAttempts(ctx, e.ID)
	must(t, "ListDeliveryAttempts", err)
	equal(t, "attempts", got, []*payment.DeliveryAttempt{a1, a2})
	got, err = s.ListDeliveryAttempts(ctx, "evt_none")
	must(t, "ListDeliveryAttempts none", err)
	equal(t, "no attempts", len(got), 0)
}

// testDeliveryClaimRace: concurrent claimers never share a delivery and together take all.
func testDeliveryClaimRace(t *testing.T, s payment.Store) {
	ctx := context.Background()
	const events, workers = 60, 6
	for i := range events {
		must(t, "InsertEvent", s.InsertEvent(ctx, newEvent("app-a", seqName("dr", i), payment.EventPaymentSucceeded, 0)))
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("w%d", w)
			for {
				ds, err := s.ClaimDeliveries(ctx, owner, at(time.Second), at(time.Minute), 4)
				if err != nil {
					t.Errorf("ClaimDeliveries: %v", err)
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					if prev, dup := seen[d.EventID]; dup {
						t.Errorf("%s claimed by %s and %s", d.EventID, prev, owner)
					}
					seen[d.EventID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	equal(t, "claimed", len(seen), events)
}
