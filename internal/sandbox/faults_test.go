package sandbox

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

func TestFaultDecisionsRepeatWithSeed(t *testing.T) {
	run := func(seed int64) []bool {
		fs := newFaultState()
		fs.set(Faults{Seed: seed, NotifyDrop: 0.5, GatewaySystemError: 0.3})
		var out []bool
		for i := range 200 {
			out = append(out, fs.roll([]rollKind{rollDrop, rollSystemError}[i%2]))
		}
		return out
	}
	if !reflect.DeepEqual(run(42), run(42)) {
		t.Fatal("same seed, different decisions")
	}
	if reflect.DeepEqual(run(42), run(43)) {
		t.Fatal("different seeds, same decisions")
	}
}

func TestNotifyDropSeededEndToEnd(t *testing.T) {
	pattern := func() []bool {
		b := setup(t, Config{TimeScale: 3600})
		b.sb.SetFaults(Faults{Seed: 7, NotifyDrop: 0.5})
		b.notify.setAnswer(func(int) (int, string) { return 500, "no" })
		precreate(t, b, "D1", "1.00")
		b.sb.Pay(testAppID, "D1", "")
		deliverUntilQuiet(b, time.Minute)
		var out []bool
		for _, a := range b.sb.Notifications("D1") {
			out = append(out, a.Dropped)
		}
		return out
	}
	p1, p2 := pattern(), pattern()
	if len(p1) != 8 || !reflect.DeepEqual(p1, p2) {
		t.Fatalf("drop pattern not repeatable: %v vs %v", p1, p2)
	}
}

func TestNotifyFaults(t *testing.T) {
	b := setup(t, Config{TimeScale: 3600})
	b.sb.SetFaults(Faults{NotifyDrop: 1})
	paidTrade(t, b, "F1")
	if n := len(b.notify.received()); n != 0 {
		t.Fatalf("drop=1 still delivered %d", n)
	}
	if a := b.sb.Notifications("F1"); len(a) != 1 || !a[0].Dropped {
		t.Fatalf("drop not recorded: %+v", a)
	}
	b.sb.SetFaults(Faults{NotifyDuplicate: 1})
	paidTrade(t, b, "F2")
	f := b.notify.received()
	if len(f) != 2 || f[0].Get("notify_id") != f[1].Get("notify_id") {
		t.Fatalf("duplicate: %d", len(f))
	}
	b.sb.SetFaults(Faults{NotifyBadSign: 1})
	paidTrade(t, b, "F3")
	f = b.notify.received()
	if _, err := b.client.DecodeNotification(ctx, f[len(f)-1]); err == nil {
		t.Fatal("bad_sign notification verified")
	}
	b.sb.SetFaults(Faults{NotifyDelayMS: 5000})
	precreate(t, b, "F4", "1.00")
	b.sb.Pay(testAppID, "F4", "")
	b.sb.runNotifyOnce()
	b.clock.Advance(4 * time.Second)
	b.sb.runNotifyOnce()
	if len(b.sb.Notifications("F4")) != 0 {
		t.Fatal("delayed notification came early")
	}
	b.clock.Advance(time.Second)
	b.sb.runNotifyOnce()
	if len(b.sb.Notifications("F4")) != 1 {
		t.Fatal("delayed notification never came")
	}
}

func TestNotifyReorder(t *testing.T) {
	b := setup(t, Config{})
	b.sb.SetFaults(Faults{NotifyReorder: 1})
	precreate(t, b, "O1", "5.00")
	b.sb.Pay(testAppID, "O1", "") // held back by reorderHold
	b.sb.SetFaults(Faults{})
	b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "O1", RefundAmount: "5.00", OutRequestNo: "x"})
	b.sb.runNotifyOnce()
	b.clock.Advance(reorderHold)
	b.sb.runNotifyOnce()
	f := b.notify.received()
	if len(f) != 2 || f[0].Get("trade_status") != "TRADE_CLOSED" || f[1].Get("trade_status") != "TRADE_SUCCESS" {
		t.Fatalf("not reordered: %v", f)
	}
}

func TestGatewayFaults(t *testing.T) {
	b := setup(t, Config{})
	b.sb.SetFaults(Faults{Seed: 3, GatewaySystemError: 1})
	seen := map[string]bool{}
	for range 20 {
		r, err := b.client.TradePreCreate(ctx, pre("G1", "1.00", "s"))
		if err != nil {
			t.Fatal(err)
		}
		seen[string(r.Code)+"/"+r.SubCode] = true
	}
	if !seen["20000/isp.unknow-error"] || !seen["40004/ACQ.SYSTEM_ERROR"] || len(seen) != 2 {
		t.Fatalf("system errors: %v", seen)
	}
	if _, ok := b.sb.Trade(testAppID, "G1"); ok {
		t.Fatal("a system error applied the call")
	}
	// methods filter: query is not listed, so it is unaffected
	b.sb.SetFaults(Faults{GatewaySystemError: 1, Methods: []string{"alipay.trade.precreate"}})
	if r, _ := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "G1"}); r.SubCode != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("filtered method hit: %+v", r)
	}
	// timeout: the call takes effect, the client never gets an answer
	b.sb.SetFaults(Faults{GatewayTimeout: 1})
	c := newClient(t, b.srv.URL, b.sb.AlipayPublicKeyPEM())
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := c.TradePreCreate(cctx, pre("G2", "1.00", "s"))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	if _, ok := b.sb.Trade(testAppID, "G2"); !ok {
		t.Fatal("timed-out call did not take effect")
	}
	// latency
	b.sb.SetFaults(Faults{GatewayLatencyMS: 150})
	start := time.Now()
	b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "G2"})
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("latency %v", d)
	}
	b.sb.ClearFaults()
	if f := b.sb.faults.get(); f.GatewayLatencyMS != 0 {
		t.Fatal("clear")
	}
}

func TestFaultsAPI(t *testing.T) {
	b := setup(t, Config{})
	resp := postJSON(t, b.srv.URL+"/sandbox/api/faults", `{"seed":9,"notify_drop":0.25,"methods":["alipay.trade.query"],"notify_states":{"WAIT_BUYER_PAY":true}}`)
	if resp.StatusCode != http.StatusOK || b.sb.faults.get().NotifyDrop != 0.25 {
		t.Fatalf("set: %d", resp.StatusCode)
	}
	if resp := postJSON(t, b.srv.URL+"/sandbox/api/faults", `{"notify_drop":2}`); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("invalid rate: %d", resp.StatusCode)
	}
	if resp := postJSON(t, b.srv.URL+"/sandbox/api/faults", `{"bogus":1}`); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown field: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodDelete, b.srv.URL+"/sandbox/api/faults", nil)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 || b.sb.faults.get().NotifyDrop != 0 {
		t.Fatal("delete", err)
	}
}
