package e2e

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// scaleTally is what the instances, the sandbox and the receiver agree on after a run.
type scaleTally struct {
	Orders, StateMismatch, Paid, Refunded, PartlyRefunded int
	Events, MissingAtReceiver, Overlaps, Deliveries       int
	Posts, SucceededEvents, RefundEvents                  int
	eventIDs                                              []string
	firstMismatch                                         string
}

func (x scaleTally) ok() bool {
	return x.StateMismatch == 0 && x.MissingAtReceiver == 0 && x.Overlaps == 0 &&
		x.SucceededEvents == x.Paid+x.Refunded && x.RefundEvents == x.Refunded+x.PartlyRefunded
}

func (x scaleTally) String() string {
	return fmt.Sprintf(`orders                                %d
state differs from the sandbox        %d %s
paid (no refund)                      %d
refunded in full                      %d
paid, refunded in part                %d
payment.succeeded events              %d
refund.succeeded events               %d
events listed (all types)             %d
listed ids never delivered            %d
deliveries (distinct ids)             %d
webhook POSTs                         %d
POSTs overlapping one of the same id  %d`, x.Orders, x.StateMismatch, x.firstMismatch, x.Paid-x.PartlyRefunded, x.Refunded,
		x.PartlyRefunded, x.SucceededEvents, x.RefundEvents, x.Events, x.MissingAtReceiver, x.Deliveries, x.Posts, x.Overlaps)
}

// fen parses "0.99" (or "" as 0) into fen.
func fen(s string) int64 {
	if s == "" {
		return 0
	}
	f, _ := strconv.ParseFloat(s, 64)
	return int64(math.Round(f * 100))
}

// countScale compares every order with the sandbox's trade and the events with the receiver.
func (c *cluster) countScale(ctx context.Context, cl *client.Client, orders int) (scaleTally, error) {
	x := scaleTally{Orders: orders}
	for after := int64(0); ; {
		l, err := cl.Events(ctx, after, 200)
		if err != nil {
			return x, err
		}
		for _, e := range l.Data {
			x.eventIDs = append(x.eventIDs, e.ID)
			switch e.Type {
			case "payment.succeeded":
				x.SucceededEvents++
			case "refund.succeeded":
				x.RefundEvents++
			}
		}
		if !l.HasMore {
			break
		}
		after = l.NextAfter
	}
	x.Events = len(x.eventIDs)
	for i := range orders {
		no := fmt.Sprintf("two_%03d", i)
		tr, ok := c.sb.Trade(c.appID, no)
		p, err := cl.Query(ctx, no, client.QueryOptions{})
		if err != nil {
			return x, fmt.Errorf("query %s: %w", no, err)
		}
		want := "unknown"
		if ok && tr.PaidAt != nil {
			switch refunded := fen(tr.RefundedAmount); {
			case refunded == 0:
				want = "paid/0"
			case refunded >= fen(tr.TotalAmount):
				want = "refunded/" + strconv.FormatInt(refunded, 10)
			default:
				want = "paid/" + strconv.FormatInt(refunded, 10)
			}
		}
		got := string(p.Status) + "/" + strconv.FormatInt(fen(p.RefundedAmount), 10)
		if got != want {
			x.StateMismatch++
			if x.firstMismatch == "" {
				x.firstMismatch = fmt.Sprintf("(first: %s gateway %s, sandbox %s)", no, got, want)
			}
		}
		switch {
		case p.Status == "refunded":
			x.Refunded++
		case p.Status == "paid":
			x.Paid++
			if fen(p.RefundedAmount) > 0 {
				x.PartlyRefunded++
			}
		}
	}
	got, overlaps, posts := c.recv.snapshot()
	x.Overlaps, x.Posts, x.Deliveries = overlaps, posts, len(got)
	for _, id := range x.eventIDs {
		if got[id] == 0 {
			x.MissingAtReceiver++
		}
	}
	return x, nil
}

// settleScale counts until everything agrees or the time is up, and returns the last count.
func (c *cluster) settleScale(t *testing.T, cl *client.Client, orders int, within time.Duration) scaleTally {
	t.Helper()
	ctx := withTimeout(t, within+30*time.Second)
	var x scaleTally
	var err error
	testutil.Eventually(within, func() bool {
		x, err = c.countScale(ctx, cl, orders)
		return err == nil && x.ok()
	})
	if err != nil {
		t.Fatalf("counting: %v", err)
	}
	return x
}
