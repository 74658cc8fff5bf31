package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestTimelineCountsUnverifiedNotifications: forged notifications naming an order are one
// timeline entry with their count, which unfolds the latest few, each cut to its first
// 2 KiB and told with its full length and SHA-256; the verified notification that paid the
// order is listed as before.
func TestTimelineCountsUnverifiedNotifications(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	login(t, b, hc)
	p := b.order(t, "9.90")
	b.pay(t, p.OutTradeNo)
	b.waitStatus(t, p.OutTradeNo, payment.StatusPaid)
	const forged = 12
	for i := range forged {
		f := url.Values{"out_trade_no": {p.OutTradeNo}, "trade_status": {"TRADE_SUCCESS"}, "total_amount": {"9.90"},
			"notify_id": {fmt.Sprintf("forged-%02d", i)}, "sign_type": {"RSA2"}, "sign": {"Zm9yZ2Vk"},
			"pad": {strings.Repeat("p", 10000)}}
		resp, err := http.Post(b.url+"/notify/alipay", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	page := html.UnescapeString(get(t, hc, b.url+"/admin/orders/"+p.OutTradeNo, http.StatusOK))
	if n := strings.Count(page, "signature verified · accepted"); n != 1 {
		t.Errorf("the verified notification is listed %d times, want once", n)
	}
	if !strings.Contains(page, fmt.Sprintf("%d notifications refused: signature not verified", forged)) || !strings.Contains(page, "latest 5") {
		t.Fatalf("no count of the %d refused notifications:\n%s", forged, page)
	}
	if n := strings.Count(page, "notify_id=forged-"); n != 5 {
		t.Errorf("%d forged notifications unfolded, want the latest 5", n)
	}
	for i := forged - 5; i < forged; i++ {
		if !strings.Contains(page, fmt.Sprintf("notify_id=forged-%02d", i)) {
			t.Errorf("forged-%02d, one of the latest 5, is not unfolded", i)
		}
	}
	if !strings.Contains(page, "SHA-256 ") || !strings.Contains(page, fmt.Sprintf("; the first %d kept:", payment.UnverifiedKeepBytes)) {
		t.Error("the unfolded notifications do not say their length, hash and what was kept")
	}
	ns, err := b.store.ListNotificationsByTrust(t.Context(), p.OutTradeNo, false, 100)
	if err != nil || len(ns) != forged {
		t.Fatalf("%d unverified rows stored (%v), want %d", len(ns), err, forged)
	}
	for _, n := range ns {
		if len(n.Raw) != payment.UnverifiedKeepBytes || n.RawLength <= 10000 || len(n.RawSHA256) != 64 || n.Verified {
			t.Fatalf("unverified row kept %d bytes of %d (hash %q)", len(n.Raw), n.RawLength, n.RawSHA256)
		}
	}
}
