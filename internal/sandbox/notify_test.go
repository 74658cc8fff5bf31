package sandbox

import (
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/testutil"
)

func paidTrade(t *testing.T, b *bundle, no string) {
	t.Helper()
	precreate(t, b, no, "9.90")
	if _, err := b.sb.Pay(testAppID, no, ""); err != nil {
		t.Fatal(err)
	}
	b.sb.runNotifyOnce()
}

func TestPaymentNotificationVerifies(t *testing.T) {
	b := setup(t, Config{})
	paidTrade(t, b, "N1")
	forms := b.notify.received()
	if len(forms) != 1 {
		t.Fatalf("%d notifications", len(forms))
	}
	f := forms[0]
	n, err := b.client.DecodeNotification(ctx, f)
	if err != nil {
		t.Fatalf("SDK refused the notification: %v", err)
	}
	tr, _ := b.sb.Trade(testAppID, "N1")
	if n.TradeStatus != alipay.TradeStatusSuccess || n.OutTradeNo != "N1" || n.TotalAmount != "9.90" ||
		n.TradeNo != tr.TradeNo || n.SellerId != b.sb.SellerID(testAppID) || n.AppId != testAppID ||
		n.NotifyType != "trade_status_sync" || n.GmtPayment == "" || n.BuyerId != tr.BuyerID {
		t.Fatalf("notification fields: %+v", n)
	}
	if len(n.NotifyId) != 34 || f.Get("sign_type") != "RSA2" || f.Get("charset") != "utf-8" {
		t.Fatalf("notify_id %q", n.NotifyId)
	}
	for k, v := range f {
		if len(v) != 1 || v[0] == "" || k == "alipay_cert_sn" {
			t.Errorf("param %s=%q", k, v)
		}
	}
	// tamper with or remove each field in turn: the SDK must refuse every variant
	for k := range f {
		if k == "sign_type" { // not signed, by Alipay's rule
			continue
		}
		mod := cloneForm(f)
		mod.Set(k, f.Get(k)+"x")
		if _, err := b.client.DecodeNotification(ctx, mod); err == nil {
			t.Errorf("accepted tampered %s", k)
		}
		mod = cloneForm(f)
		mod.Del(k)
		if _, err := b.client.DecodeNotification(ctx, mod); err == nil {
			t.Errorf("accepted notification without %s", k)
		}
	}
	mod := cloneForm(f)
	mod.Set("extra", "1")
	if _, err := b.client.DecodeNotification(ctx, mod); err == nil {
		t.Error("accepted an added field")
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestNotificationKinds(t *testing.T) {
	b := setup(t, Config{})
	paidTrade(t, b, "N2")
	if r, _ := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "N2", RefundAmount: "1.00", OutRequestNo: "rf1"}); r.IsFailure() {
		t.Fatal(r)
	}
	b.sb.runNotifyOnce()
	if r, _ := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "N2", RefundAmount: "8.90", OutRequestNo: "rf2"}); r.IsFailure() {
		t.Fatal(r)
	}
	b.sb.runNotifyOnce()
	forms := b.notify.received()
	if len(forms) != 3 {
		t.Fatalf("%d notifications", len(forms))
	}
	ms := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$`)
	partial, full := forms[1], forms[2]
	if partial.Get("trade_status") != "TRADE_SUCCESS" || partial.Get("out_biz_no") != "rf1" || partial.Get("refund_fee") != "1.00" || !ms.MatchString(partial.Get("gmt_refund")) {
		t.Fatalf("partial refund notification: %v", partial)
	}
	if full.Get("trade_status") != "TRADE_CLOSED" || full.Get("refund_fee") != "9.90" || full.Get("gmt_close") == "" {
		t.Fatalf("full refund notification: %v", full)
	}
	for _, f := range forms {
		if _, err := b.client.DecodeNotification(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if forms[0].Get("notify_id") == forms[1].Get("notify_id") {
		t.Fatal("two notifications share a notify_id")
	}
	// close notifies TRADE_CLOSED; WAIT_BUYER_PAY is off by default and can be switched on
	precreate(t, b, "N3", "1.00")
	b.sb.Scan(testAppID, "N3")
	b.sb.runNotifyOnce()
	if n := len(b.notify.received()); n != 3 {
		t.Fatalf("scan notified by default (%d)", n)
	}
	b.client.TradeClose(ctx, alipay.TradeClose{OutTradeNo: "N3"})
	b.sb.runNotifyOnce()
	if f := b.notify.received(); len(f) != 4 || f[3].Get("trade_status") != "TRADE_CLOSED" {
		t.Fatalf("close notification: %v", f)
	}
	b.sb.SetFaults(Faults{NotifyStates: map[string]bool{"WAIT_BUYER_PAY": true, "TRADE_SUCCESS": false}})
	precreate(t, b, "N4", "1.00")
	b.sb.Pay(testAppID, "N4", "")
	b.sb.runNotifyOnce()
	if f := b.notify.received(); len(f) != 5 || f[4].Get("trade_status") != "WAIT_BUYER_PAY" {
		t.Fatalf("switches: %d", len(f))
	}
	b.sb.ClearFaults()
	if err := b.sb.FinishTrade(testAppID, "N4"); err != nil {
		t.Fatal(err)
	}
	b.sb.runNotifyOnce()
	if f := b.notify.received(); len(f) != 6 || f[5].Get("trade_status") != "TRADE_FINISHED" {
		t.Fatalf("finished: %d", len(f))
	}
}

// deliverUntilQuiet advances the fake clock to each due time and delivers, returning
// the fake times of the deliveries.
func deliverUntilQuiet(b *bundle, horizon time.Duration) []time.Time {
	var at []time.Time
	end := b.clock.Now().Add(horizon)
	for b.clock.Now().Before(end) {
		before := len(b.notify.received())
		b.sb.runNotifyOnce()
		for range len(b.notify.received()) - before {
			at = append(at, b.clock.Now())
		}
		b.clock.Advance(10 * time.Millisecond)
	}
	return at
}

func TestRetryScheduleFakeClock(t *testing.T) {
	b := setup(t, Config{TimeScale: 60})
	b.notify.setAnswer(func(n int) (int, string) {
		if n <= 3 {
			return 500, "fail"
		}
		return 200, "success"
	})
	precreate(t, b, "RS1", "1.00")
	b.sb.Pay(testAppID, "RS1", "")
	at := deliverUntilQuiet(b, time.Hour)
	if len(at) != 4 {
		t.Fatalf("%d deliveries, want 4", len(at))
	}
	want := []time.Duration{4 * time.Second, 10 * time.Second, 10 * time.Second} // 4m,10m,10m / 60
	for i, w := range want {
		got := at[i+1].Sub(at[i])
		t.Logf("gap %d: %v (schedule %v at time scale 60)", i+1, got, w)
		if got < w*8/10 || got > w*12/10 {
			t.Errorf("gap %d = %v, want %v±20%%", i, got, w)
		}
	}
	ids := map[string]bool{}
	for _, f := range b.notify.received() {
		ids[f.Get("notify_id")] = true
	}
	if len(ids) != 1 {
		t.Fatalf("notify_id changed across retries: %v", ids)
	}
	if a := b.sb.Notifications("RS1"); len(a) != 4 || !a[3].Success || a[2].Success || a[0].StatusCode != 500 {
		t.Fatalf("attempt log: %+v", a)
	}
}

func TestRetryGivesUpAfterEight(t *testing.T) {
	b := setup(t, Config{TimeScale: 3600})
	b.notify.setAnswer(func(int) (int, string) { return 200, "fail" })
	precreate(t, b, "RS2", "1.00")
	b.sb.Pay(testAppID, "RS2", "")
	at := deliverUntilQuiet(b, 2*time.Minute) // the whole schedule is ~24.4 s at 3600×
	if len(at) != 8 {
		t.Fatalf("%d deliveries, want 8", len(at))
	}
	t.Logf("%d deliveries over %v at time scale 3600, then none", len(at), at[7].Sub(at[0]))
	if got := at[7].Sub(at[0]); got < 24*time.Second || got > 25*time.Second {
		t.Fatalf("schedule span %v", got)
	}
}

func TestRetryRealTime(t *testing.T) {
	keys(t)
	rc := newReceiver(t)
	var times []time.Time
	rc.setAnswer(func(n int) (int, string) {
		times = append(times, time.Now())
		if n <= 3 {
			return 503, ""
		}
		return 200, "success"
	})
	sb, err := newSandbox(Config{TimeScale: 2400}, options{key: testAlipayKey})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	sb.RegisterApp(testAppID, testAppPublicPEM)
	sb.mu.Lock()
	r := &record{total: 100, t: Trade{AppID: testAppID, OutTradeNo: "RT", QRToken: "bax1", TotalAmount: "1.00",
		Subject: "s", NotifyURL: rc.URL, ExpiresAt: time.Now().Add(time.Hour)}}
	sb.recs[recKey(testAppID, "RT")], sb.byCode["bax1"] = r, r
	sb.mu.Unlock()
	sb.Pay(testAppID, "RT", "")
	testutil.Eventually(0, func() bool { return len(sb.Notifications("RT")) >= 4 })
	time.Sleep(300 * time.Millisecond) // nothing more may come
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(times) != 4 {
		t.Fatalf("%d deliveries", len(times))
	}
	// The schedule's precision is TestRetryScheduleFakeClock's job; here the real timers must
	// never fire early, and a loaded CI machine may only make them late.
	for i, w := range []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond} {
		if got := times[i+1].Sub(times[i]); got < w*8/10 || got > w+time.Second {
			t.Errorf("gap %d = %v, want at least %v and not a second more", i, got, w*8/10)
		}
	}
}
