package wechat

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestFaultsValidate(t *testing.T) {
	bad := []Faults{
		{NotifyDrop: 1.5},
		{GatewayReject: -0.1},
		{Methods: []string{"precreate"}},
		{NotifyStates: map[string]bool{"TRADE_SUCCESS": true}},
		{GatewayRejectCode: "not_enough"},
		{GatewayRejectCode: "SOMETHING_NEW"},
		{GatewayRejectCode: "NOT_ENOUGH", GatewayRejectStatus: 200},
		{GatewayLatencyMS: 600_001},
	}
	for _, f := range bad {
		if f.Validate() == nil {
			t.Errorf("accepted %+v", f)
		}
	}
	good := Faults{GatewayReject: 1, GatewayRejectCode: "SOMETHING_NEW", GatewayRejectStatus: 403, Methods: []string{"refund"},
		NotifyStates: map[string]bool{"REFUND.SUCCESS": false}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	b := setup(t, Config{})
	if r := b.api(t, "POST", "/faults", map[string]any{"notify_dorp": 1}); r.status != 400 {
		t.Fatalf("misspelt knob: %d %s", r.status, r.body)
	}
	if r := b.api(t, "POST", "/faults", map[string]any{"seed": 0, "gateway_reject": 0.5}); r.status != 200 || r.json(t)["seed"] == 0.0 {
		t.Fatalf("seed 0 must come back as the random seed chosen: %s", r.body)
	}
}

func TestGatewayRejectIsNotApplied(t *testing.T) {
	b := setup(t, Config{})
	b.order(t, "f2freject001", 100, "https://shop.example/notify")
	b.pay(t, "f2freject001")
	b.s.SetFaults(Faults{GatewayReject: 1, GatewayRejectCode: "NOT_ENOUGH", Methods: []string{"refund"}})
	r := b.call(t, "POST", "/v3/refund/domestic/refunds", refundBody("f2freject001", "r1", 10, 100))
	if r.status != 403 || r.code(t) != "NOT_ENOUGH" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if tr := b.s.Trades(testMchID, "f2freject001")[0]; tr.Refunded != 0 {
		t.Fatal("a rejected refund was applied")
	}
	b.order(t, "f2freject002", 100, "https://shop.example/notify") // other methods are untouched
	b.s.SetFaults(Faults{GatewayReject: 1})
	if r := b.call(t, "GET", "/v3/pay/transactions/out-trade-no/f2freject002?mchid="+testMchID, nil); r.status != 429 || r.code(t) != "FREQUENCY_LIMITED" {
		t.Fatalf("default rejection: %d %s", r.status, r.body)
	}
}

// gateway_system_error: nothing is applied; a seeded coin picks a signed 500 SYSTEM_ERROR
// or an unsigned 502, and the same seed repeats the same answers.
func TestSystemErrorIsNotAppliedAndSeeded(t *testing.T) {
	run := func() []int {
		b := setup(t, Config{})
		b.s.SetFaults(Faults{Seed: 7, GatewaySystemError: 1})
		var seq []int
		for _, no := range []string{"f2fsyserr001", "f2fsyserr002", "f2fsyserr003", "f2fsyserr004", "f2fsyserr005", "f2fsyserr006"} {
			r := do(t, b.request(t, goSDK, "POST", "/v3/pay/transactions/native", nativeBody(no, 1, "https://shop.example/n")))
			switch r.status {
			case 500:
				b.checkSigned(t, r)
				if r.code(t) != "SYSTEM_ERROR" {
					t.Fatalf("500 %s", r.body)
				}
			case 502:
				if r.header.Get("Wechatpay-Signature") != "" {
					t.Fatal("the front end's 502 is signed")
				}
			default:
				t.Fatalf("%d %s", r.status, r.body)
			}
			seq = append(seq, r.status)
		}
		if n := len(b.s.Trades("", "")); n != 0 {
			t.Fatalf("%d orders created under gateway_system_error", n)
		}
		return seq
	}
	a, c := run(), run()
	if len(a) != len(c) {
		t.Fatal("length")
	}
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("seed 7 gave %v then %v", a, c)
		}
	}
}

func TestAppliedFaults(t *testing.T) {
	b := setup(t, Config{})
	b.s.SetFaults(Faults{GatewaySystemErrorApplied: 1})
	r := b.call(t, "POST", "/v3/pay/transactions/native", nativeBody("f2fapplied01", 1, "https://shop.example/n"))
	if r.status != 500 || r.code(t) != "SYSTEM_ERROR" || len(b.s.Trades(testMchID, "f2fapplied01")) != 1 {
		t.Fatalf("applied system error: %d %s", r.status, r.body)
	}
	b.s.SetFaults(Faults{GatewayTimeout: 1})
	req := b.request(t, goSDK, "POST", "/v3/pay/transactions/native", nativeBody("f2ftimeout01", 1, "https://shop.example/n"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if resp, err := http.DefaultClient.Do(req.WithContext(ctx)); err == nil {
		resp.Body.Close()
		t.Fatalf("gateway_timeout answered %d", resp.StatusCode)
	}
	if len(b.s.Trades(testMchID, "f2ftimeout01")) != 1 {
		t.Fatal("gateway_timeout did not apply the call")
	}
}

func TestNotifyFaults(t *testing.T) {
	b := setup(t, Config{})
	dup, dropped, forged, off := newReceiver(t, 204), newReceiver(t, 204), newReceiver(t, 204), newReceiver(t, 204)
	for no, rc := range map[string]*receiver{"f2fdup000001": dup, "f2fdrop00001": dropped, "f2fforged001": forged, "f2foff000001": off} {
		b.order(t, no, 1, rc.url())
	}
	pay := func(no string, f Faults) {
		b.s.SetFaults(f)
		b.pay(t, no)
		b.s.runOnce()
	}
	pay("f2fdup000001", Faults{NotifyDuplicate: 1})
	if got := dup.all(); len(got) != 2 || string(got[0].body) != string(got[1].body) {
		t.Fatalf("duplicate: %d deliveries", len(got))
	}
	pay("f2fdrop00001", Faults{NotifyDrop: 1})
	if att := b.s.Notifications("f2fdrop00001"); len(dropped.all()) != 0 || len(att) != 1 || !att[0].Dropped {
		t.Fatalf("drop: %d received, attempts %+v", len(dropped.all()), att)
	}
	b.s.ClearFaults()
	b.clock.Advance(15 * time.Second)
	b.s.runOnce()
	if len(dropped.all()) != 1 {
		t.Fatal("a dropped notification was not retried on schedule")
	}
	pay("f2fforged001", Faults{NotifyBadSign: 1})
	if got := forged.all(); len(got) != 1 || verifyWeChat(b.s, got[0].header, got[0].body, b.clock.Now()) == nil {
		t.Fatal("notify_bad_sign: the signature still verifies")
	}
	pay("f2foff000001", Faults{NotifyStates: map[string]bool{"TRANSACTION.SUCCESS": false}})
	if len(off.all()) != 0 || len(b.s.Notifications("f2foff000001")) != 0 {
		t.Fatal("a switched-off event was sent")
	}
}
