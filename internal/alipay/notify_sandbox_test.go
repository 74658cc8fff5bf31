package alipay

import (
	"net/url"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

func isPayment(f url.Values) bool {
	return f.Get("trade_status") == "TRADE_SUCCESS" && f.Get("refund_fee") == "" && f.Get("out_biz_no") == ""
}

func TestVerifySandboxNotifications(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID, _ := e.app(t)
	e.paid(t, ch, appID, "o-notify", 1234)
	st, _ := e.sb.Trade(appID, "o-notify")

	form := e.sink.wait(t, appID, "o-notify", isPayment)
	n, err := ch.VerifyNotification(form)
	if err != nil {
		t.Fatalf("real sandbox notification refused: %v\n%v", err, form)
	}
	if n.OutTradeNo != "o-notify" || n.TradeStatus != payment.TradeSuccess || n.TotalAmount != 1234 ||
		n.TradeNo != st.TradeNo || n.AppID != appID || n.SellerID != ch.SellerID() || n.BuyerID != st.BuyerID ||
		n.NotifyID == "" || n.HasRefund || n.GmtPayment == nil || n.GmtPayment.Sub(*st.PaidAt).Abs() > time.Second {
		t.Fatalf("parsed %+v (sandbox %+v)", n, st)
	}
	for field, value := range map[string]string{
		"total_amount": "0.01", "trade_status": "TRADE_CLOSED", "out_trade_no": "o-other",
		"seller_id": "2088000000000000", "app_id": "2021000000000000", "notify_id": "1",
	} {
		if _, err := ch.VerifyNotification(with(form, field, value)); payment.ErrorCode(err) != payment.CodeUnauthorized {
			t.Errorf("tampered %s: %v, want UNAUTHORIZED", field, err)
		}
	}
	// Another app's channel (same Alipay key, same form) verifies the signature too: the
	// app_id check is the service's job, so the parsed AppID must be the real one.
	other, _, _ := e.app(t)
	if n, err := other.VerifyNotification(form); err != nil || n.AppID != appID {
		t.Fatalf("other channel: %+v, %v", n, err)
	}

	// A partial refund notifies TRADE_SUCCESS with out_biz_no, refund_fee and gmt_refund (.SSS).
	if _, err := ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-notify", RefundNo: "r-n1", Amount: 234}); err != nil {
		t.Fatal(err)
	}
	rf := e.sink.wait(t, appID, "o-notify", func(f url.Values) bool { return f.Get("out_biz_no") == "r-n1" })
	n, err = ch.VerifyNotification(rf)
	if err != nil {
		t.Fatalf("refund notification: %v\n%v", err, rf)
	}
	if !n.HasRefund || n.OutBizNo != "r-n1" || n.RefundFee != 234 || n.GmtRefund == nil || n.TradeStatus != payment.TradeSuccess {
		t.Fatalf("refund notification parsed %+v from %v", n, rf)
	}
}

func TestVerifySandboxCloseNotification(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID, _ := e.app(t)
	e.precreate(t, ch, "o-notify-close", 100)
	if _, err := e.sb.Scan(appID, "o-notify-close"); err != nil {
		t.Fatal(err)
	}
	if err := ch.Close(bg, "o-notify-close"); err != nil {
		t.Fatal(err)
	}
	form := e.sink.wait(t, appID, "o-notify-close", func(f url.Values) bool { return f.Get("trade_status") == "TRADE_CLOSED" })
	n, err := ch.VerifyNotification(form)
	if err != nil || n.TradeStatus != payment.TradeClosed || n.HasRefund {
		t.Fatalf("close notification: %+v, %v\n%v", n, err, form)
	}
}
