package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

// TestNotifyFailBudget: unverified notifications are charged per source (an IPv6 /64 as one)
// up to the burst, then refused until a token is back; the budget is separate from the
// notify route's own bucket; defaults are 2/s with a burst of 20; a negative rate is off.
func TestNotifyFailBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock()
	p := ratelimit.NewPolicy(ratelimit.NewMemory(clk.now), ratelimit.Config{})
	for i := range ratelimit.DefaultNotifyFailBurst {
		if ok, _ := p.NotifyFailed(ctx, fmt.Sprintf("2001:db8:5:5:%x::1", i)); !ok {
			t.Fatalf("failure %d of the burst refused", i+1)
		}
	}
	ok, retry := p.NotifyFailed(ctx, "2001:db8:5:5::99")
	if ok || retry <= 0 || retry > time.Second/ratelimit.DefaultNotifyFailRate {
		t.Fatalf("after the burst from one /64: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := p.AllowIP(ctx, ratelimit.RouteNotify, "2001:db8:5:5::99"); !ok {
		t.Fatal("the notify route's own bucket was drained by the failure budget")
	}
	if ok, _ := p.NotifyFailed(ctx, "203.0.113.9"); !ok {
		t.Fatal("another source was refused")
	}
	clk.add(time.Second / ratelimit.DefaultNotifyFailRate)
	if ok, _ := p.NotifyFailed(ctx, "2001:db8:5:5::1"); !ok {
		t.Fatal("refused after a token came back")
	}
	off := ratelimit.NewPolicy(ratelimit.NewMemory(clk.now), ratelimit.Config{NotifyFailRate: -1})
	for i := range 100 {
		if ok, _ := off.NotifyFailed(ctx, "203.0.113.6"); !ok {
			t.Fatalf("a negative rate does not switch the budget off (refused at %d)", i)
		}
	}
}
