package wechat

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver is a merchant's notify_url: it records every notification and answers from
// script (then the last entry forever).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	script []int
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, script ...int) *receiver {
	rc := &receiver{script: script}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Clone(), b})
		status := rc.script[min(len(rc.got), len(rc.script))-1]
		rc.mu.Unlock()
		if status >= 400 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"code":"FAIL","message":"失败"}`))
			return
		}
		w.WriteHeader(status)
		if status == 200 {
			_, _ = w.Write([]byte("anything"))
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) url() string { return rc.srv.URL + "/notify/wechat" }

func TestNotificationIsSignedEncryptedAndRetried(t *testing.T) {
	b := setup(t, Config{})
	rc := newReceiver(t, 500, 500, 404, 204)
	b.order(t, "f2fnotify001", 990, rc.url())
	b.pay(t, "f2fnotify001")
	steps := []time.Duration{0, 15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute}
	wantCount := []int{1, 2, 3, 4, 4}
	for i, d := range steps {
		b.clock.Advance(d - time.Second)
		b.s.runOnce()
		if i > 0 && len(rc.all()) != wantCount[i-1] {
			t.Fatalf("step %d: attempt came a second early", i)
		}
		b.clock.Advance(time.Second)
		b.s.runOnce()
		if n := len(rc.all()); n != wantCount[i] {
			t.Fatalf("step %d: %d attempts, want %d", i, n, wantCount[i])
		}
	}
	got := rc.all()
	var first map[string]any
	for i, g := range got {
		if err := verifyWeChat(b.s, g.header, g.body, b.clock.Now()); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if string(g.body) != string(got[0].body) || (i > 0 && g.header.Get("Wechatpay-Nonce") == got[0].header.Get("Wechatpay-Nonce")) {
			t.Fatalf("attempt %d: want the same body, signed afresh", i+1)
		}
	}
	if err := json.Unmarshal(got[0].body, &first); err != nil {
		t.Fatal(err)
	}
	res := first["resource"].(map[string]any)
	if first["event_type"] != "TRANSACTION.SUCCESS" || first["resource_type"] != "encrypt-resource" || first["summary"] != "支付成功" ||
		first["id"] == "" || res["algorithm"] != "AEAD_AES_256_GCM" || res["original_type"] != "transaction" ||
		res["associated_data"] != "transaction" || len(res["nonce"].(string)) != 12 {
		t.Fatalf("envelope %s", got[0].body)
	}
	tx := openResource(t, testAPIv3Key, res)
	if tx["mchid"] != testMchID || tx["appid"] != testAppID || tx["out_trade_no"] != "f2fnotify001" || tx["trade_state"] != "SUCCESS" ||
		tx["amount"].(map[string]any)["total"] != 990.0 || len(tx["transaction_id"].(string)) != 28 {
		t.Fatalf("resource %v", tx)
	}
	att := b.s.Notifications("f2fnotify001")
	if len(att) != 4 || att[3].StatusCode != 204 || !att[3].Success || att[2].StatusCode != 404 || att[0].Success {
		t.Fatalf("attempts %+v", att)
	}
}

// The whole schedule, compressed by TimeScale: 16 attempts with WeChat Pay's gaps, then none.
func TestRetryScheduleCompressed(t *testing.T) {
	const scale = 60
	b := setup(t, Config{TimeScale: scale})
	rc := newReceiver(t, 503)
	b.order(t, "f2fschedule1", 1, rc.url())
	b.pay(t, "f2fschedule1")
	// WeChat Pay's documented schedule, written out here rather than read from the code.
	documented := []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
		10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 60 * time.Minute,
		3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour}
	b.s.runOnce()
	for _, gap := range documented {
		b.clock.Advance(gap / scale)
		b.s.runOnce()
	}
	b.clock.Advance(24 * time.Hour)
	b.s.runOnce()
	att := b.s.Notifications("f2fschedule1")
	if len(att) != 16 || len(rc.all()) != 16 {
		t.Fatalf("%d attempts recorded, %d received; want 16", len(att), len(rc.all()))
	}
	for i := 1; i < len(att); i++ {
		if gap := att[i].At.Sub(att[i-1].At); gap != documented[i-1]/scale {
			t.Fatalf("gap before attempt %d: %s, want %s", i+1, gap, documented[i-1]/scale)
		}
	}
}

// 200 with any body acknowledges; other 2xx do not.
func TestSuccessIs200Or204(t *testing.T) {
	b := setup(t, Config{})
	ok200, other := newReceiver(t, 200), newReceiver(t, 202, 204)
	b.order(t, "f2fsuccess01", 1, ok200.url())
	b.order(t, "f2fsuccess02", 1, other.url())
	b.pay(t, "f2fsuccess01")
	b.pay(t, "f2fsuccess02")
	for range 3 {
		b.s.runOnce()
		b.clock.Advance(15 * time.Second)
	}
	if n := len(ok200.all()); n != 1 {
		t.Fatalf("200 with a body: %d attempts", n)
	}
	if n := len(other.all()); n != 2 {
		t.Fatalf("202 then 204: %d attempts", n)
	}
}

func TestRefundNotification(t *testing.T) {
	b := setup(t, Config{RefundSettle: 10 * time.Second})
	paid, refunds := newReceiver(t, 204), newReceiver(t, 204)
	b.order(t, "f2frefundn01", 800, paid.url())
	b.pay(t, "f2frefundn01")
	body := refundBody("f2frefundn01", "f2frefundn01-1", 300, 800)
	body["notify_url"] = refunds.url()
	if r := b.call(t, "POST", "/v3/refund/domestic/refunds", body); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	b.s.runOnce()
	b.clock.Advance(10 * time.Second)
	b.s.runOnce()
	got := refunds.all()
	if len(got) != 1 || len(paid.all()) != 1 {
		t.Fatalf("refund notifications %d, payment notifications %d", len(got), len(paid.all()))
	}
	var env map[string]any
	_ = json.Unmarshal(got[0].body, &env)
	res := env["resource"].(map[string]any)
	rf := openResource(t, testAPIv3Key, res)
	if env["event_type"] != "REFUND.SUCCESS" || res["original_type"] != "refund" || rf["refund_status"] != "SUCCESS" ||
		rf["mchid"] != testMchID || rf["out_refund_no"] != "f2frefundn01-1" || rf["amount"].(map[string]any)["refund"] != 300.0 ||
		rf["success_time"] != "2024-06-05T12:00:10+08:00" {
		t.Fatalf("refund notification %v / %v", env, rf)
	}
}
