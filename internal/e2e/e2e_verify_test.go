package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// tally is what the gateway, the sandbox and the receiver agree on after a run.
type tally struct {
	Orders, SandboxPaid, GatewayPaid, PaidMismatch        int
	SucceededEvents, OrdersWithOneSucceeded, Events       int
	ReceivedIDs, MissingAtReceiver, IDsWithTwoBodies      int
	ReceiverPosts, BadSignatures, OrdersWithSecondPayment int
	// Of the above, the orders on WeChat Pay (wechatOrder) and how many each side has paid.
	WeChatOrders, WeChatSandboxPaid, WeChatGatewayPaid int
}

func (x tally) ok() bool {
	return x.SandboxPaid == x.GatewayPaid && x.PaidMismatch == 0 && x.OrdersWithOneSucceeded == x.SandboxPaid &&
		x.SucceededEvents == x.SandboxPaid && x.MissingAtReceiver == 0 && x.IDsWithTwoBodies == 0 &&
		x.BadSignatures == 0 && x.OrdersWithSecondPayment == 0
}

// count compares the sandbox's trades, the gateway's orders and events (through the
// merchant API) and what the receiver got.
func (w *world) count(ctx context.Context, c *client.Client, nos []string) (tally, error) {
	x := tally{Orders: len(nos)}
	succeeded := map[string]int{}
	var ids []string
	for after := int64(0); ; {
		l, err := c.Events(ctx, after, 200)
		if err != nil {
			return x, err
		}
		for _, e := range l.Data {
			ids = append(ids, e.ID)
			if e.Type == "payment.succeeded" {
				p, err := e.Payment()
				if err != nil {
					return x, err
				}
				succeeded[p.OutTradeNo]++
				x.SucceededEvents++
			}
		}
		if !l.HasMore {
			break
		}
		after = l.NextAfter
	}
	x.Events = len(ids)
	for _, no := range nos {
		tr, ok := w.sb.Trade(w.appID, no)
		sbPaid := ok && (tr.Status == "TRADE_SUCCESS" || tr.Status == "TRADE_FINISHED")
		if wechatOrder(no) {
			sbPaid = w.wechatPaid(no)
		}
		p, err := c.Query(ctx, no, client.QueryOptions{})
		if err != nil {
			return x, fmt.Errorf("query %s: %w", no, err)
		}
		gwPaid := p.Status == "paid" || p.Status == "refunded"
		if sbPaid {
			x.SandboxPaid++
		}
		if gwPaid {
			x.GatewayPaid++
		}
		if sbPaid != gwPaid {
			x.PaidMismatch++
		}
		if wechatOrder(no) {
			x.WeChatOrders++
			if sbPaid {
				x.WeChatSandboxPaid++
			}
			if gwPaid {
				x.WeChatGatewayPaid++
			}
		}
		switch n := succeeded[no]; {
		case n == 1:
			x.OrdersWithOneSucceeded++
		case n > 1:
			x.OrdersWithSecondPayment++
		}
	}
	got, posts, bad := w.recv.snapshot()
	x.ReceivedIDs, x.ReceiverPosts, x.BadSignatures = len(got), posts, bad
	for _, id := range ids {
		if got[id] == 0 {
			x.MissingAtReceiver++
		}
	}
	for _, n := range got {
		if n > 1 {
			x.IDsWithTwoBodies++
		}
	}
	return x, nil
}

// settle counts until everything agrees or the time is up, and returns the last count.
func (w *world) settle(t *testing.T, c *client.Client, nos []string, within time.Duration) tally {
	t.Helper()
	ctx := withTimeout(t, within+30*time.Second)
	var x tally
	var err error
	testutil.Eventually(within, func() bool {
		x, err = w.count(ctx, c, nos)
		return err == nil && x.ok()
	})
	if err != nil {
		t.Fatalf("counting: %v", err)
	}
	return x
}

func (x tally) String() string {
	return fmt.Sprintf(`orders                          %d
paid in the sandbox             %d
paid in f2fpay                  %d
sandbox/f2fpay disagree         %d
payment.succeeded events        %d
orders with exactly one         %d
orders with a second one        %d
events listed (all types)       %d
event ids at the receiver       %d
listed ids never received       %d
ids received with two bodies    %d
webhook POSTs received          %d
bad signatures                  %d
of which on WeChat Pay: orders  %d
  paid in the WeChat sandbox    %d
  paid in f2fpay                %d`, x.Orders, x.SandboxPaid, x.GatewayPaid, x.PaidMismatch, x.SucceededEvents,
		x.OrdersWithOneSucceeded, x.OrdersWithSecondPayment, x.Events, x.ReceivedIDs, x.MissingAtReceiver,
		x.IDsWithTwoBodies, x.ReceiverPosts, x.BadSignatures, x.WeChatOrders, x.WeChatSandboxPaid, x.WeChatGatewayPaid)
}
