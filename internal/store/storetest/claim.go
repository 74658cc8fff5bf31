package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// testClaimDueOrders: a claim takes the due orders, pushes their check to the lease end and
// bumps their version, so that a second claim skips them until the lease ends.
func testClaimDueOrders(t *testing.T, s payment.Store) {
	ctx := context.Background()
	for i, due := range []*time.Time{ptr(3 * time.Minute), nil, ptr(time.Minute), ptr(time.Hour), ptr(2 * time.Minute)} {
		o := newOrder("app-a", seqName("cl", i))
		o.NextCheckAt = due
		mustInsertOrder(t, s, o)
	}
	lease := at(20 * time.Minute)
	os, err := s.ClaimDueOrders(ctx, at(2*time.Minute), lease, 10)
	must(t, "ClaimDueOrders", err)
	equal(t, "claimed", orderNos(os), []string{"cl002", "cl004"})
	for _, o := range os {
		if o.NextCheckAt == nil || !o.NextCheckAt.Equal(lease) || o.Version != 2 {
			t.Errorf("claimed %s: next %v version %d, want %v and 2", o.OutTradeNo, o.NextCheckAt, o.Version, lease)
		}
		got, err := s.GetOrder(ctx, o.OutTradeNo)
		must(t, "GetOrder", err)
		equal(t, "stored claim", got, o)
	}
	// The returned order is current: it can be updated without going stale.
	os[0].CheckCount = 1
	must(t, "UpdateOrder after claim", s.UpdateOrder(ctx, os[0]))

	os, err = s.ClaimDueOrders(ctx, at(10*time.Minute), lease, 1)
	must(t, "ClaimDueOrders limit 1", err)
	equal(t, "earliest remaining", orderNos(os), []string{"cl000"})
	os, err = s.ClaimDueOrders(ctx, at(10*time.Minute), lease, 10)
	must(t, "ClaimDueOrders again", err)
	equal(t, "nothing due", orderNos(os), []string{})
	os, err = s.ClaimDueOrders(ctx, lease, at(40*time.Minute), 10)
	must(t, "ClaimDueOrders after lease", err)
	equal(t, "leases ended", orderNos(os), []string{"cl000", "cl002", "cl004"})
}

// testClaimDueRefunds mirrors testClaimDueOrders for refunds.
func testClaimDueRefunds(t *testing.T, s payment.Store) {
	ctx := context.Background()
	o := mustInsertOrder(t, s, newOrder("app-a", "clr"))
	for i, due := range []*time.Time{ptr(time.Minute), nil, ptr(time.Hour)} {
		r := newRefund(o, seqName("r", i), 1)
		r.NextCheckAt = due
		must(t, "InsertRefund", s.InsertRefund(ctx, r))
	}
	lease := at(2 * time.Minute)
	rs, err := s.ClaimDueRefunds(ctx, at(time.Minute), lease, 10)
	must(t, "ClaimDueRefunds", err)
	if len(rs) != 1 || rs[0].RefundNo != "r000" || !rs[0].NextCheckAt.Equal(lease) || rs[0].Version != 2 {
		t.Fatalf("claimed %+v, want r000 leased until %v at version 2", rs, lease)
	}
	got, err := s.GetRefund(ctx, "clr", "r000")
	must(t, "GetRefund", err)
	equal(t, "stored claim", got, rs[0])
	rs, err = s.ClaimDueRefunds(ctx, at(time.Minute), lease, 10)
	must(t, "ClaimDueRefunds again", err)
	equal(t, "nothing due", len(rs), 0)
	rs, err = s.ClaimDueRefunds(ctx, at(time.Hour), at(2*time.Hour), 10)
	must(t, "ClaimDueRefunds later", err)
	equal(t, "both due", len(rs), 2)
}

// testClaimRace: concurrent order claimers never take the same order.
func testClaimRace(t *testing.T, s payment.Store) {
	ctx := context.Background()
	const orders, workers = 60, 6
	for i := range orders {
		o := newOrder("app-a", seqName("cr", i))
		o.NextCheckAt = ptr(0)
		mustInsertOrder(t, s, o)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				os, err := s.ClaimDueOrders(ctx, at(time.Second), at(time.Hour), 4)
				if err != nil {
					t.Errorf("ClaimDueOrders: %v", err)
					return
				}
				if len(os) == 0 {
					return
				}
				mu.Lock()
				for _, o := range os {
					if prev, dup := seen[o.OutTradeNo]; dup {
						t.Errorf("%s claimed by w%d and w%d", o.OutTradeNo, prev, w)
					}
					seen[o.OutTradeNo] = w
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	equal(t, "claimed", fmt.Sprint(len(seen)), fmt.Sprint(orders))
}
