package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

// TestUnverifiedNotificationBudget: forged notifications from one source are kept as
// their first 2 KiB with length and hash, up to the source's budget; then they are
// answered 429 "failure" with Retry-After and leave no row, only a "throttled" count (also
// an oversized one). A genuine notification from that same source is still accepted and
// kept whole: verified notifications are never charged.
func TestUnverifiedNotificationBudget(t *testing.T) {
	t.Parallel()
	pol := ratelimit.NewPolicy(ratelimit.NewMemory(nil), ratelimit.Config{NotifyFailRate: 0.001, NotifyFailBurst: 3})
	b := setup(t, func(o *setupOptions) { o.ipLimiter, o.notifyFail = pol, pol })
	var mu sync.Mutex
	outcomes := map[string]int{}
	b.svc.OnNotification(func(o string) { mu.Lock(); outcomes[o]++; mu.Unlock() })
	ctx := context.Background()
	p, _, err := b.client.Create(ctx, client.CreateRequest{OutTradeNo: "NB_1", TotalAmount: "9.90", Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	forged := "out_trade_no=NB_1&trade_status=TRADE_SUCCESS&sign=Zm9yZ2Vk&pad="
	forged += strings.Repeat("p", 64<<10-len(forged))
	post := func(body string) rawResponse {
		return send(t, mustRequest(t, http.MethodPost, b.srv.URL+"/notify/alipay", []byte(body)))
	}
	for i := range 3 {
		if r := post(forged); r.status != http.StatusOK || string(r.body) != "failure" {
			t.Fatalf("forged notification %d within the budget: %d %q", i+1, r.status, r.body)
		}
	}
	for _, body := range []string{forged, forged + "too long"} {
		r := post(body)
		if r.status != http.StatusTooManyRequests || string(r.body) != "failure" || r.header.Get("Retry-After") == "" {
			t.Fatalf("forged notification over the budget (%d bytes): %d %q Retry-After %q", len(body), r.status, r.body, r.header.Get("Retry-After"))
		}
	}
	rows, err := b.store.ListNotificationsByTrust(ctx, p.OutTradeNo, false, 100)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d unverified rows (%v), want the budget's 3", len(rows), err)
	}
	sum := sha256.Sum256([]byte(forged))
	for _, r := range rows {
		if r.Raw != forged[:payment.UnverifiedKeepBytes] || r.RawLength != len(forged) || r.RawSHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("unverified row: %d bytes kept of %d, hash %s", len(r.Raw), r.RawLength, r.RawSHA256)
		}
	}

	// The simulator notifies from the same loopback source, which is over its budget.
	if _, err := b.sb.Pay(b.alipayApp, p.OutTradeNo, "success"); err != nil {
		t.Fatal(err)
	}
	b.waitStatus(t, p.OutTradeNo, payment.StatusPaid)
	b.waitNotified(t, p.OutTradeNo)
	good, err := b.store.ListNotificationsByTrust(ctx, p.OutTradeNo, true, 10)
	if err != nil || len(good) == 0 || good[0].Outcome != "accepted" || good[0].RawLength != len(good[0].Raw) || len(good[0].RawSHA256) != 64 {
		t.Fatalf("genuine notification from the throttled source: %v %+v", err, good)
	}
	mu.Lock()
	defer mu.Unlock()
	if outcomes["refused"] != 3 || outcomes["throttled"] != 2 || outcomes["accepted"] < 1 {
		t.Fatalf("outcomes counted: %v", outcomes)
	}
}
