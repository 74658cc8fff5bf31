package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

func testClient(t *testing.T, s payment.Store) {
	ctx := context.Background()
	full := &payment.Merchant{
		AppID: "app-full", Name: "Vending 7", SecretSealed: "sealed:new", PrevSecretSealed: "sealed:old",
		PrevSecretUntil: ptr(time.Hour), NotifyURL: "https://merchant.example/hook", Disabled: true,
		RateLimit: 12.5, RateBurst: 30, CreatedAt: t0, UpdatedAt: at(time.Second),
		WebhookSecretSealed: "sealed:whsec-new", PrevWebhookSecretSealed: "sealed:whsec-old", PrevWebhookSecretUntil: ptr(2 * time.Hour),
	}
	bare := &payment.Merchant{AppID: "app-bare", Name: "Kiosk", SecretSealed: "sealed:k", CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)}
	must(t, "InsertMerchant full", s.InsertMerchant(ctx, full))
	must(t, "InsertMerchant bare", s.InsertMerchant(ctx, bare))
	got, err := s.GetMerchant(ctx, "app-full")
	must(t, "GetMerchant", err)
	equal(t, "full client", got, full)
	got, err = s.GetMerchant(ctx, "app-bare")
	must(t, "GetMerchant bare", err)
	equal(t, "bare client", got, bare)

	wantErr(t, "same app id", s.InsertMerchant(ctx, &payment.Merchant{AppID: "app-full", Name: "x", SecretSealed: "y"}), payment.ErrDuplicate)

	full.Name, full.PrevSecretSealed, full.PrevSecretUntil, full.Disabled, full.UpdatedAt = "Renamed", "", nil, false, at(time.Hour)
	full.WebhookSecretSealed, full.PrevWebhookSecretSealed, full.PrevWebhookSecretUntil = "sealed:whsec-3", "sealed:whsec-new", ptr(3*time.Hour)
	must(t, "UpdateMerchant", s.UpdateMerchant(ctx, full))
	got, err = s.GetMerchant(ctx, "app-full")
	must(t, "GetMerchant after update", err)
	equal(t, "updated client", got, full)

	list, err := s.ListMerchants(ctx)
	must(t, "ListMerchants", err)
	equal(t, "ListMerchants", list, []*payment.Merchant{full, bare})
}

func testNonce(t *testing.T, s payment.Store) {
	ctx := context.Background()
	ttl := 15 * time.Minute
	must(t, "first use", s.UseNonce(ctx, "app-a", "n1", t0, t0.Add(ttl)))
	wantErr(t, "replay", s.UseNonce(ctx, "app-a", "n1", at(time.Minute), at(time.Minute+ttl)), payment.ErrDuplicate)
	must(t, "same nonce, other app", s.UseNonce(ctx, "app-b", "n1", at(time.Minute), at(time.Minute+ttl)))

	// Once expired, the nonce may be used again, and is then remembered anew.
	later := at(ttl + time.Second)
	must(t, "reuse after expiry", s.UseNonce(ctx, "app-a", "n1", later, later.Add(ttl)))
	wantErr(t, "replay after reuse", s.UseNonce(ctx, "app-a", "n1", later.Add(time.Minute), later.Add(time.Minute+ttl)), payment.ErrDuplicate)

	// Purge forgets only the expired ones.
	must(t, "short-lived", s.UseNonce(ctx, "app-a", "n2", t0, at(time.Second)))
	must(t, "short-lived 2", s.UseNonce(ctx, "app-a", "n3", t0, at(2*time.Second)))
	n, err := s.PurgeNonces(ctx, at(time.Minute))
	must(t, "PurgeNonces", err)
	if n != 2 {
		t.Errorf("PurgeNonces = %d, want 2", n)
	}
	wantErr(t, "live nonce after purge", s.UseNonce(ctx, "app-a", "n1", at(time.Minute), at(time.Hour)), payment.ErrDuplicate)
	n, err = s.PurgeNonces(ctx, at(time.Minute))
	must(t, "PurgeNonces again", err)
	if n != 0 {
		t.Errorf("second PurgeNonces = %d, want 0", n)
	}
}

func testAudit(t *testing.T, s payment.Store) {
	ctx := context.Background()
	var ns []*payment.NotificationRecord
	var cs []*payment.ChannelCall
	for i := 0; i < 4; i++ {
		otn := "au-1"
		if i == 2 {
			otn = "au-2"
		}
		n := &payment.NotificationRecord{
			ReceivedAt: at(time.Duration(i) * time.Second), RemoteAddr: "203.0.113.7:443", NotifyID: seqName("nid", i),
			OutTradeNo: otn, TradeStatus: "TRADE_SUCCESS", Raw: "a=1&b=%E4%B8%AD&sign=xyz", Verified: i%2 == 0,
			Outcome: "refused: amount differs", RawLength: 65536 + i, RawSHA256: seqName("sha", i),
		}
		must(t, "InsertNotification", s.InsertNotification(ctx, n))
		c := &payment.ChannelCall{
			OutTradeNo: otn, Method: "alipay.trade.query", Request: `{"out_trade_no":"` + otn + `"}`,
			Response: `{"code":"10000"}`, Outcome: "ok", Duration: 1234567891 * time.Nanosecond,
			CreatedAt: at(time.Duration(i) * time.Second),
		}
		must(t, "InsertChannelCall", s.InsertChannelCall(ctx, c))
		if n.ID == 0 || c.ID == 0 {
			t.Fatalf("IDs not set: %d %d", n.ID, c.ID)
		}
		ns, cs = append(ns, n), append(cs, c)
	}
	gotN, err := s.ListNotifications(ctx, "au-1", 10)
	must(t, "ListNotifications", err)
	equal(t, "notifications newest first", gotN, []*payment.NotificationRecord{ns[3], ns[1], ns[0]})
	gotN, err = s.ListNotifications(ctx, "", 2)
	must(t, "ListNotifications all", err)
	equal(t, "all notifications, limit", gotN, []*payment.NotificationRecord{ns[3], ns[2]})
	gotN, err = s.ListNotificationsByTrust(ctx, "au-1", false, 10)
	must(t, "ListNotificationsByTrust unverified", err)
	equal(t, "unverified notifications of au-1", gotN, []*payment.NotificationRecord{ns[3], ns[1]})
	gotN, err = s.ListNotificationsByTrust(ctx, "au-1", true, 10)
	must(t, "ListNotificationsByTrust verified", err)
	equal(t, "verified notifications of au-1", gotN, []*payment.NotificationRecord{ns[0]})
	gotN, err = s.ListNotificationsByTrust(ctx, "au-1", false, 1)
	must(t, "ListNotificationsByTrust limit", err)
	equal(t, "latest unverified notification of au-1", gotN, []*payment.NotificationRecord{ns[3]})
	for _, c := range []struct {
		otn      string
		verified bool
		want     int64
	}{{"au-1", false, 2}, {"au-1", true, 1}, {"au-2", true, 1}, {"au-2", false, 0}, {"au-none", false, 0}} {
		n, err := s.CountNotifications(ctx, c.otn, c.verified)
		must(t, "CountNotifications", err)
		if n != c.want {
			t.Errorf("CountNotifications(%s, verified=%v) = %d, want %d", c.otn, c.verified, n, c.want)
		}
	}
	gotC, err := s.ListChannelCalls(ctx, "au-1", 10)
	must(t, "ListChannelCalls", err)
	equal(t, "channel calls newest first", gotC, []*payment.ChannelCall{cs[3], cs[1], cs[0]})
	gotC, err = s.ListChannelCalls(ctx, "au-2", 1)
	must(t, "ListChannelCalls au-2", err)
	equal(t, "channel calls of au-2", gotC, []*payment.ChannelCall{cs[2]})
}
