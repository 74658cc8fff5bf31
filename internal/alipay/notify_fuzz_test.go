package alipay

import (
	"net/url"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// FuzzParseNotification feeds arbitrary form bodies to the notification parser that runs
// after the signature check. It must never panic, must fail only with INVALID_PARAMETER,
// and what it accepts must carry the required fields, a known trade status and amounts in
// the valid range.
func FuzzParseNotification(f *testing.F) {
	f.Add("notify_type=trade_status_sync&notify_id=n1&out_trade_no=A1&trade_status=TRADE_SUCCESS&total_amount=9.90&gmt_payment=2024-01-02+03%3A04%3A05")
	f.Add("notify_type=trade_status_sync&notify_id=n1&out_trade_no=A1&trade_status=TRADE_SUCCESS&total_amount=9.90&refund_fee=1.00&out_biz_no=R1&gmt_refund=2024-01-02+03%3A04%3A05.123")
	f.Add("notify_type=trade_status_sync&notify_id=n&out_trade_no=%ff&trade_status=TRADE_CLOSED&total_amount=1e3")
	f.Add("total_amount=-0.01&total_amount=9.90&gmt_close=9999-99-99")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // HandleNotification refuses a malformed form before parsing
		}
		n, err := parseNotification(form)
		if err != nil {
			if payment.ErrorCode(err) != payment.CodeInvalidParameter {
				t.Fatalf("error %v is not INVALID_PARAMETER", err)
			}
			return
		}
		if n.NotifyID == "" || n.OutTradeNo == "" {
			t.Fatalf("accepted without notify_id or out_trade_no: %q", body)
		}
		switch n.TradeStatus {
		case payment.TradeWaitBuyerPay, payment.TradeSuccess, payment.TradeClosed, payment.TradeFinished:
		default:
			t.Fatalf("accepted trade_status %q", n.TradeStatus)
		}
		if n.TotalAmount < 0 || n.RefundFee < 0 {
			t.Fatalf("accepted a negative amount: %q", body)
		}
		if got, err := payment.ParseAmount(form.Get("total_amount")); err != nil || got != n.TotalAmount {
			t.Fatalf("total_amount %q parsed as %v", form.Get("total_amount"), n.TotalAmount)
		}
	})
}
