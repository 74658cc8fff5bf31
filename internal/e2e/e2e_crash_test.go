package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// createAndPay creates an order through the merchant API, repeating the same request while
// the gateway is down, then has the sandbox's buyer pay it: the WeChat sandbox's for an
// order whose number starts with "wx" (wechatOrder), the Alipay sandbox's otherwise.
func (w *world) createAndPay(ctx context.Context, c *client.Client, no string) error {
	var err error
	req := client.CreateRequest{OutTradeNo: no, TotalAmount: "0.99", Subject: "e2e " + no, TimeoutMinutes: 120}
	if wechatOrder(no) {
		req.Channel = "wechat"
	}
	if !testutil.Until(ctx, func() bool {
		_, _, err = c.Create(ctx, req)
		return err == nil
	}) {
		return fmt.Errorf("create %s: %w", no, err)
	}
	if wechatOrder(no) {
		return w.payWeChat(no)
	}
	_, err = w.sb.Pay(w.appID, no, sandbox.OutcomeSuccess)
	return err
}

// TestCrash: 300 orders, half on Alipay and half on WeChat Pay, are created and paid while
// the gateway is SIGKILLed at random moments at least 8 times and restarted on the same data
// dir; afterwards the sandboxes, the gateway and the webhook receiver agree and nothing was
// paid or reported twice.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped in -short")
	}
	w := newWorld(t)
	w.recv.secret.Store(&w.webhookSecret)
	w.start()
	c := client.New(w.baseURL, w.clientID, w.secret)
	const orders, workers, minKills = 300, 8, 8
	nos := make([]string, orders)
	for i := range nos {
		nos[i] = fmt.Sprintf("crash_%03d", i)
		if i%2 == 1 {
			nos[i] = fmt.Sprintf("wxcrash_%03d", i)
		}
	}
	ctx := withTimeout(t, 3*time.Minute)
	var next, killed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < orders; i = next.Add(1) - 1 {
				// Spread the orders over the kills: order i starts only after
				// i*(minKills+1)/orders kills, so the load cannot end before the 8th.
				if !testutil.Until(ctx, func() bool { return killed.Load() >= int64(i*(minKills+1)/orders) }) {
					errs <- ctx.Err()
					return
				}
				if err := w.createAndPay(ctx, c, nos[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	loadDone := make(chan struct{})
	go func() { wg.Wait(); close(loadDone) }()
	kills, killsDuringLoad := 0, 0
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	for running := true; running || kills < minKills; {
		select {
		case <-loadDone:
			running = false
		case <-time.After(time.Duration(150+rng.IntN(500)) * time.Millisecond):
		}
		if !running && kills >= minKills {
			break
		}
		w.kill()
		kills++
		killed.Store(int64(kills))
		if running {
			killsDuringLoad++
		}
		if err := w.startErr(); err != nil {
			t.Fatal(err)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatalf("load: %v", err)
	}
	x := w.settle(t, c, nos, 90*time.Second)
	fmt.Printf("crash test: %d SIGKILLs (%d while orders were being created and paid), %d starts\n%s\n", kills, killsDuringLoad, w.starts, x)
	if !x.ok() || x.SandboxPaid != orders || x.WeChatOrders != orders/2 || killsDuringLoad < minKills {
		t.Fatalf("after %d kills the counts disagree:\n%s\nserve log tail:\n%s", kills, x, w.logTail())
	}
	w.stop()
}
