package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestFaultyNotificationsConverge: with the sandbox duplicating every notification, delaying
// them and reordering half of them (payments, partial and full refunds, closes all mixed),
// every order ends in the state the sandbox shows, with one event per change.
func TestFaultyNotificationsConverge(t *testing.T) {
	t.Parallel()
	p := runDemoForTest(t, t.TempDir())
	ctx := context.Background()
	faults := map[string]any{"seed": 7, "notify_duplicate": 1.0, "notify_delay_ms": 20, "notify_reorder": 0.5}
	if code := p.sandbox("POST", "/sandbox/api/faults", faults, nil); code != 200 {
		t.Fatalf("set faults: %d", code)
	}
	const n = 24
	for i := 0; i < n; i++ {
		no := fmt.Sprintf("fault_%02d", i)
		mustCreate(t, p, no, "6.00")
		switch i % 4 {
		case 3: // left unpaid, then closed
			if _, err := p.api.Close(ctx, no); err != nil {
				t.Fatal(err)
			}
		default:
			if code := p.pay(no); code != 200 {
				t.Fatalf("pay %s: %d", no, code)
			}
		}
	}
	for i := 0; i < n; i++ {
		no := fmt.Sprintf("fault_%02d", i)
		switch i % 4 {
		case 1: // partial refund
			p.waitStatus(no, "paid")
			if _, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: no, RefundNo: "part", RefundAmount: "2.50"}); err != nil {
				t.Fatalf("refund %s: %v", no, err)
			}
		case 2: // full refund in two steps
			p.waitStatus(no, "paid")
			for j, amt := range []string{"1.00", "5.00"} {
				if _, err := p.api.Refund(ctx, client.RefundRequest{OutTradeNo: no, RefundNo: fmt.Sprintf("full%d", j), RefundAmount: amt}); err != nil {
					t.Fatalf("refund %s: %v", no, err)
				}
			}
		}
	}
	// Let every delayed, duplicated and held-back notification arrive.
	testutil.WaitFor(t, 0, "the sandbox's notifications to settle", p.notificationsSettled)
	want := map[int]struct{ status, refunded string }{0: {"paid", "0.00"}, 1: {"paid", "2.50"}, 2: {"refunded", "6.00"}, 3: {"closed", "0.00"}}
	for i := 0; i < n; i++ {
		no := fmt.Sprintf("fault_%02d", i)
		o, err := p.api.Query(ctx, no, client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w := want[i%4]
		if string(o.Status) != w.status || o.RefundedAmount != w.refunded {
			t.Errorf("%s: %s refunded %s; want %s %s", no, o.Status, o.RefundedAmount, w.status, w.refunded)
		}
		if i%4 != 3 {
			st := p.sandboxTrade(no)
			if st.RefundedAmount != o.RefundedAmount || st.TradeNo != o.TradeNo {
				t.Errorf("%s: sandbox refunded %s trade %s; f2fpay %s %s", no, st.RefundedAmount, st.TradeNo, o.RefundedAmount, o.TradeNo)
			}
		}
		paidEvents, refundEvents, closedEvents := p.events(no, "payment.succeeded"), p.events(no, "refund.succeeded"), p.events(no, "payment.closed")
		wantPaid, wantRefunds, wantClosed := 1, []int{0, 1, 2, 0}[i%4], 0
		if i%4 == 3 {
			wantPaid, wantClosed = 0, 1
		}
		if paidEvents != wantPaid || refundEvents != wantRefunds || closedEvents != wantClosed {
			t.Errorf("%s events: paid %d refunds %d closed %d; want %d %d %d", no, paidEvents, refundEvents, closedEvents, wantPaid, wantRefunds, wantClosed)
		}
	}
}

// notificationsSettled reports whether every notification the sandbox made has been
// acknowledged with success.
func (p *program) notificationsSettled() bool {
	var list struct {
		Notifications []struct {
			NotifyID  string `json:"notify_id"`
			Success   bool   `json:"success"`
			Duplicate bool   `json:"duplicate"`
		} `json:"notifications"`
	}
	p.sandbox("GET", "/sandbox/api/notifications", nil, &list)
	done := map[string]bool{}
	for _, a := range list.Notifications {
		done[a.NotifyID] = done[a.NotifyID] || a.Success
	}
	for _, ok := range done {
		if !ok {
			return false
		}
	}
	return len(done) > 0
}
