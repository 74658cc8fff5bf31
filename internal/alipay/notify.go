package alipay

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/url"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// notifyTypeTradeStatus is the only notify_type a face-to-face gateway receives.
const notifyTypeTradeStatus = "trade_status_sync"

// VerifyNotification checks the RSA2 signature of an Alipay notification form (all fields
// but sign and sign_type, with the Alipay public key or certificate) and parses it.
// Amounts are read strictly, times in Beijing time (gmt_refund with or without
// milliseconds). Errors: UNAUTHORIZED for a missing or bad signature; INVALID_PARAMETER for a
// verified but malformed form (wrong notify_type, missing out_trade_no, trade_status or
// notify_id, unreadable amount or time). The caller still checks app_id, seller and amount.
func (c *Channel) VerifyNotification(form url.Values) (*payment.Notification, error) {
	if form.Get("sign") == "" {
		return nil, payment.Errorf(payment.CodeUnauthorized, "notification is not signed")
	}
	// Alipay signs non-empty parameters only (its Java SDK's rsaCheckV1 skips empty ones);
	// the SDK would include them, so they are left out here.
	values := make(url.Values, len(form))
	for k, v := range form {
		if len(v) > 0 && !(len(v) == 1 && v[0] == "") {
			values[k] = v
		}
	}
	// The SDK would look up (and, in production mode, download) the certificate named by
	// alipay_cert_sn. It is not part of the signed text and anyone can write it, so it is
	// ignored: the configured key, or in certificate mode every trusted certificate, is tried.
	delete(values, "alipay_cert_sn")
	if err := c.verifyNotifySign(values); err != nil {
		c.log.Warn("alipay notification failed signature verification",
			slog.String("out_trade_no", form.Get("out_trade_no")), slog.String("notify_id", form.Get("notify_id")))
		return nil, payment.Errorf(payment.CodeUnauthorized, "notification signature verification failed")
	}
	return parseNotification(form)
}

// verifyNotifySign checks a notification's signature. In certificate mode a notification
// names no certificate, so every trusted certificate valid now is tried, newest first;
// when none verifies, the trust store looks for a certificate it lacks (certTrust.refresh)
// and, if one was added meanwhile, they are tried again.
func (c *Channel) verifyNotifySign(values url.Values) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*c.timeout)
	defer cancel()
	if c.trust == nil {
		return c.client.VerifySign(ctx, values)
	}
	gen := c.trust.generation()
	if c.verifyWithTrusted(ctx, values) {
		return nil
	}
	c.trust.refresh(ctx)
	if c.trust.generation() != gen && c.verifyWithTrusted(ctx, values) {
		return nil
	}
	return errors.New("no trusted Alipay certificate verifies the notification")
}

// verifyWithTrusted reports whether one of the trusted certificates valid now verifies
// the notification. The SDK picks the key by alipay_cert_sn, which it leaves out of the
// signed text.
func (c *Channel) verifyWithTrusted(ctx context.Context, values url.Values) bool {
	v := maps.Clone(values)
	for _, tc := range c.trust.usable() {
		v.Set("alipay_cert_sn", tc.sn)
		if c.client.VerifySign(ctx, v) == nil {
			return true
		}
	}
	return false
}

// parseNotification reads a verified notification form.
func parseNotification(form url.Values) (*payment.Notification, error) {
	bad := func(format string, args ...any) error {
		return payment.Errorf(payment.CodeInvalidParameter, "notification: "+format, args...)
	}
	if t := form.Get("notify_type"); t != notifyTypeTradeStatus {
		return nil, bad("notify_type %q, want %s", t, notifyTypeTradeStatus)
	}
	n := &payment.Notification{
		NotifyID:     form.Get("notify_id"),
		AppID:        form.Get("app_id"),
		SellerID:     form.Get("seller_id"),
		OutTradeNo:   form.Get("out_trade_no"),
		TradeNo:      form.Get("trade_no"),
		TradeStatus:  payment.TradeStatus(form.Get("trade_status")),
		BuyerID:      form.Get("buyer_id"),
		BuyerLogonID: form.Get("buyer_logon_id"),
		OutBizNo:     form.Get("out_biz_no"),
	}
	for _, f := range []struct{ name, value string }{
		{"notify_id", n.NotifyID}, {"out_trade_no", n.OutTradeNo}, {"trade_status", string(n.TradeStatus)},
	} {
		if f.value == "" {
			return nil, bad("%s is missing", f.name)
		}
	}
	switch n.TradeStatus {
	case payment.TradeWaitBuyerPay, payment.TradeSuccess, payment.TradeClosed, payment.TradeFinished:
	default:
		return nil, bad("unknown trade_status %q", n.TradeStatus)
	}
	var err error
	if n.TotalAmount, err = payment.ParseAmount(form.Get("total_amount")); err != nil {
		return nil, bad("total_amount %q is not an amount", form.Get("total_amount"))
	}
	if s := form.Get("refund_fee"); s != "" {
		if n.RefundFee, err = payment.ParseAmount(s); err != nil {
			return nil, bad("refund_fee %q is not an amount", s)
		}
	}
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"gmt_payment", &n.GmtPayment}, {"gmt_refund", &n.GmtRefund}, {"gmt_close", &n.GmtClose}} {
		if *f.dst, err = parseTime(form.Get(f.name)); err != nil {
			return nil, bad("%s: %v", f.name, err)
		}
	}
	n.HasRefund = form.Get("refund_fee") != "" || n.OutBizNo != "" || n.GmtRefund != nil
	return n, nil
}
