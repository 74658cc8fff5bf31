package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// TestLostNotifications: the sandbox drops every notification; 50 paid orders all become
// paid through the reconciler's queries alone, with one event each (compressed schedule).
func TestLostNotifications(t *testing.T) {
	w := newWorld(t)
	w.recv.secret.Store(&w.webhookSecret)
	w.sb.SetFaults(sandbox.Faults{Seed: 7, NotifyDrop: 1})
	w.start()
	c := client.New(w.baseURL, w.clientID, w.secret)
	ctx := withTimeout(t, time.Minute)
	nos := make([]string, 50)
	for i := range nos {
		nos[i] = fmt.Sprintf("lost_%02d", i)
		if err := w.createAndPay(ctx, c, nos[i]); err != nil {
			t.Fatal(err)
		}
	}
	x := w.settle(t, c, nos, 30*time.Second)
	delivered := 0
	for _, a := range w.sb.Notifications("") {
		if !a.Dropped { // none should have reached the gateway
			delivered++
		}
	}
	fmt.Printf("lost notifications: %d notifications reached the gateway\n%s\n", delivered, x)
	if !x.ok() || x.GatewayPaid != len(nos) || delivered != 0 {
		t.Fatalf("counts disagree:\n%s\n%s", x, w.logTail())
	}
	w.stop()
}
