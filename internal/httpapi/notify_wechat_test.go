package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestWeChatNotifyHygiene: /notify/wechat has /notify/alipay's hygiene. Forged notifications
// from one source are answered 500 {"code":"FAIL"} and kept as their first 2 KiB with length
// and hash, up to the source's budget; then 429 FAIL with Retry-After and no row (also an
// oversized one). A genuine notification from the same source is accepted, answered 204
// with an empty body, and kept whole.
func TestWeChatNotifyHygiene(t *testing.T) {
	t.Parallel()
	pol := ratelimit.NewPolicy(ratelimit.NewMemory(nil), ratelimit.Config{NotifyFailRate: 0.001, NotifyFailBurst: 3})
	b := setup(t, func(o *setupOptions) { o.ipLimiter, o.notifyFail, o.wechat = pol, pol, true })
	var mu sync.Mutex
	outcomes := map[string]int{}
	b.svc.OnNotification(func(o string) { mu.Lock(); outcomes[o]++; mu.Unlock() })
	ctx := context.Background()
	p, _, err := b.client.Create(ctx, client.CreateRequest{OutTradeNo: "WX_NB_1", TotalAmount: "9.90", Subject: "s", Channel: "wechat"})
	if err != nil || p.Channel != "wechat" {
		t.Fatalf("create: %+v %v", p, err)
	}
	forged := `{"id":"EV-forged","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","pad":"`
	forged += strings.Repeat("p", 60<<10-len(forged)) + `"}`
	post := func(body string) rawResponse {
		req := mustRequest(t, http.MethodPost, b.srv.URL+"/notify/wechat", []byte(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Wechatpay-Timestamp", "1795964524")
		req.Header.Set("Wechatpay-Nonce", "forged")
		req.Header.Set("Wechatpay-Serial", "PUB_KEY_ID_0100000000000000000000000000")
		req.Header.Set("Wechatpay-Signature", "Zm9yZ2Vk")
		return send(t, req)
	}
	for i := range 3 {
		if r := post(forged); r.status != http.StatusInternalServerError || !strings.Contains(string(r.body), `"code":"FAIL"`) {
			t.Fatalf("forged notification %d within the budget: %d %q", i+1, r.status, r.body)
		}
	}
	for _, body := range []string{forged, forged + strings.Repeat(" ", 8<<10)} {
		r := post(body)
		if r.status != http.StatusTooManyRequests || !strings.Contains(string(r.body), `"code":"FAIL"`) || r.header.Get("Retry-After") == "" {
			t.Fatalf("forged notification over the budget (%d bytes): %d %q Retry-After %q", len(body), r.status, r.body, r.header.Get("Retry-After"))
		}
	}
	// An unverified WeChat notification's order is unknown (its resource is encrypted).
	rows, err := b.store.ListNotificationsByTrust(ctx, "", false, 100)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d unverified rows (%v), want the budget's 3", len(rows), err)
	}
	sum := sha256.Sum256([]byte(forged))
	for _, r := range rows {
		if r.Raw != forged[:payment.UnverifiedKeepBytes] || r.RawLength != len(forged) || r.RawSHA256 != hex.EncodeToString(sum[:]) ||
			r.NotifyID != "EV-forged" || !strings.HasPrefix(r.Outcome, "refused: bad signature") {
			t.Fatalf("unverified row: %d bytes kept of %d, hash %s, id %q, outcome %q", len(r.Raw), r.RawLength, r.RawSHA256, r.NotifyID, r.Outcome)
		}
	}

	// The WeChat sandbox notifies from the same loopback source, which is over its budget.
	body, _ := json.Marshal(map[string]string{"mchid": wechatMchID, "out_trade_no": p.OutTradeNo})
	resp, err := http.Post(b.srv.URL+"/sandbox/wechat/api/pay", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("wechat sandbox pay: %v %v", resp, err)
	}
	resp.Body.Close()
	b.waitStatus(t, p.OutTradeNo, payment.StatusPaid)
	var good []*payment.NotificationRecord
	testutil.WaitFor(t, 0, "the verified notification's row", func() bool {
		good, err = b.store.ListNotificationsByTrust(ctx, p.OutTradeNo, true, 10)
		return err == nil && len(good) > 0
	})
	if g := good[0]; g.Outcome != "accepted" || g.RawLength != len(g.Raw) || len(g.RawSHA256) != 64 || g.TradeStatus != "TRANSACTION.SUCCESS" {
		t.Fatalf("genuine notification from the throttled source: %+v", g)
	}
	// The sandbox records an attempt once the answer is back, after the row was written.
	var attempts []wechat.NotifyAttempt
	testutil.WaitFor(t, 0, "the sandbox's record of the attempt", func() bool {
		attempts = b.wx.Notifications(p.OutTradeNo)
		return len(attempts) > 0
	})
	if attempts[0].StatusCode != http.StatusNoContent || attempts[0].Response != "" {
		t.Fatalf("the sandbox's attempts %+v, want 204 with an empty body", attempts)
	}
	mu.Lock()
	defer mu.Unlock()
	if outcomes["refused"] != 3 || outcomes["throttled"] != 2 || outcomes["accepted"] < 1 {
		t.Fatalf("outcomes counted: %v", outcomes)
	}
}

// TestWeChatNotifyNotConfigured: without the WeChat channel there is no /notify/wechat.
func TestWeChatNotifyNotConfigured(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := send(t, mustRequest(t, http.MethodPost, b.srv.URL+"/notify/wechat", []byte(`{}`))); r.status != http.StatusNotFound {
		t.Fatalf("/notify/wechat without the channel: %d %s", r.status, r.body)
	}
	_, _, err := b.client.Create(context.Background(), client.CreateRequest{OutTradeNo: "WX_OFF_1", TotalAmount: "1.00", Subject: "s", Channel: "wechat"})
	if client.ErrorCode(err) != "INVALID_PARAMETER" || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("a wechat order without the channel: %v", err)
	}
}
