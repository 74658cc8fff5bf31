package alipay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// signForm signs a notification the way Alipay does: every field but sign and sign_type,
// sorted, k=v joined with &, RSA2.
func signForm(t *testing.T, k *rsa.PrivateKey, form url.Values) url.Values {
	t.Helper()
	keys := make([]string, 0, len(form))
	for key := range form {
		if key != "sign" && key != "sign_type" {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, key := range keys {
		pairs[i] = key + "=" + form.Get(key)
	}
	sum := sha256.Sum256([]byte(strings.Join(pairs, "&")))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	out := url.Values{}
	for key, v := range form {
		out[key] = v
	}
	out.Set("sign", base64.StdEncoding.EncodeToString(sig))
	out.Set("sign_type", "RSA2")
	return out
}

func refundForm() url.Values {
	return url.Values{
		"notify_time": {"2024-03-01 10:00:05"}, "notify_type": {"trade_status_sync"},
		"notify_id": {"2024030100222100005012345678901234"}, "app_id": {"app1"}, "charset": {"utf-8"},
		"version": {"1.0"}, "trade_no": {"2024030122001400001234567890"}, "out_trade_no": {"o-1"},
		"out_biz_no": {"r-1"}, "buyer_id": {"2088000000000001"}, "buyer_logon_id": {"138****0000"},
		"seller_id": {"2088000000000002"}, "trade_status": {"TRADE_SUCCESS"}, "total_amount": {"10.00"},
		"refund_fee": {"1.50"}, "gmt_payment": {"2024-03-01 09:00:00"}, "gmt_refund": {"2024-03-01 10:00:00.123"},
		"subject": {"a+b & c=d"}, "passback_params": {"x%3D1"},
	}
}

func unitChannel(t *testing.T) *Channel {
	t.Helper()
	ch, err := New(Config{AppID: "app1", PrivateKey: privPKCS1PEM(testKey(t, 0)), AlipayPublicKey: pubPEM(&testKey(t, 1).PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestVerifyNotificationSignedForm(t *testing.T) {
	ch := unitChannel(t)
	form := signForm(t, testKey(t, 1), refundForm())
	// A round trip through the wire encoding, as the notify handler receives it.
	wire, err := url.ParseQuery(form.Encode())
	if err != nil {
		t.Fatal(err)
	}
	n, err := ch.VerifyNotification(wire)
	if err != nil {
		t.Fatal(err)
	}
	if n.OutTradeNo != "o-1" || n.TradeStatus != payment.TradeSuccess || n.TotalAmount != 1000 || n.RefundFee != 150 ||
		n.OutBizNo != "r-1" || !n.HasRefund || n.BuyerID != "2088000000000001" || n.SellerID != "2088000000000002" || n.AppID != "app1" {
		t.Fatalf("parsed %+v", n)
	}
	if want := time.Date(2024, 3, 1, 2, 0, 0, 123e6, time.UTC); !n.GmtRefund.Equal(want) {
		t.Errorf("GmtRefund = %v, want %v", n.GmtRefund, want)
	}
	if want := time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC); !n.GmtPayment.Equal(want) {
		t.Errorf("GmtPayment = %v, want %v", n.GmtPayment, want)
	}
	if n.GmtClose != nil {
		t.Errorf("GmtClose = %v", n.GmtClose)
	}
	// alipay_cert_sn is not signed and must not change the verdict.
	withSN := url.Values{}
	for k, v := range wire {
		withSN[k] = v
	}
	withSN.Set("alipay_cert_sn", "0123456789abcdef")
	if _, err := ch.VerifyNotification(withSN); err != nil {
		t.Fatalf("with alipay_cert_sn: %v", err)
	}
}

func TestVerifyNotificationRefusals(t *testing.T) {
	ch := unitChannel(t)
	signed := signForm(t, testKey(t, 1), refundForm())
	for name, tc := range map[string]struct {
		form url.Values
		want payment.Code
	}{
		"unsigned":         {refundForm(), payment.CodeUnauthorized},
		"other key":        {signForm(t, testKey(t, 0), refundForm()), payment.CodeUnauthorized},
		"tampered amount":  {with(signed, "total_amount", "0.01"), payment.CodeUnauthorized},
		"tampered status":  {with(signed, "trade_status", "TRADE_CLOSED"), payment.CodeUnauthorized},
		"added field":      {with(signed, "seller_email", "x@example.com"), payment.CodeUnauthorized},
		"garbage sign":     {with(signed, "sign", "!!!"), payment.CodeUnauthorized},
		"wrong type":       {signForm(t, testKey(t, 1), with(refundForm(), "notify_type", "batch_trans_notify")), payment.CodeInvalidParameter},
		"no out_trade_no":  {signForm(t, testKey(t, 1), without(refundForm(), "out_trade_no")), payment.CodeInvalidParameter},
		"no trade_status":  {signForm(t, testKey(t, 1), without(refundForm(), "trade_status")), payment.CodeInvalidParameter},
		"no notify_id":     {signForm(t, testKey(t, 1), without(refundForm(), "notify_id")), payment.CodeInvalidParameter},
		"bad amount":       {signForm(t, testKey(t, 1), with(refundForm(), "total_amount", "10.001")), payment.CodeInvalidParameter},
		"bad refund fee":   {signForm(t, testKey(t, 1), with(refundForm(), "refund_fee", "1,50")), payment.CodeInvalidParameter},
		"bad gmt_payment":  {signForm(t, testKey(t, 1), with(refundForm(), "gmt_payment", "yesterday")), payment.CodeInvalidParameter},
		"unknown status":   {signForm(t, testKey(t, 1), with(refundForm(), "trade_status", "PAID")), payment.CodeInvalidParameter},
		"no total amount":  {signForm(t, testKey(t, 1), without(refundForm(), "total_amount")), payment.CodeInvalidParameter},
		"negative amount":  {signForm(t, testKey(t, 1), with(refundForm(), "total_amount", "-1.00")), payment.CodeInvalidParameter},
		"exponent amount ": {signForm(t, testKey(t, 1), with(refundForm(), "total_amount", "1e3")), payment.CodeInvalidParameter},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ch.VerifyNotification(tc.form)
			wantCode(t, err, tc.want)
		})
	}
}

func TestNotificationWithoutRefund(t *testing.T) {
	f := without(refundForm(), "refund_fee", "out_biz_no", "gmt_refund")
	n, err := unitChannel(t).VerifyNotification(signForm(t, testKey(t, 1), f))
	if err != nil {
		t.Fatal(err)
	}
	if n.HasRefund || n.RefundFee != 0 || n.GmtRefund != nil {
		t.Fatalf("payment notification read as a refund: %+v", n)
	}
}

func with(f url.Values, k, v string) url.Values {
	out := url.Values{}
	for key, vs := range f {
		out[key] = vs
	}
	out.Set(k, v)
	return out
}

func without(f url.Values, keys ...string) url.Values {
	out := url.Values{}
	for key, vs := range f {
		out[key] = vs
	}
	for _, k := range keys {
		out.Del(k)
	}
	return out
}

func TestNotificationEmptyValueNotSigned(t *testing.T) {
	// Alipay leaves empty parameters out of the signed text.
	f := signForm(t, testKey(t, 1), refundForm())
	f.Set("body", "")
	if _, err := unitChannel(t).VerifyNotification(f); err != nil {
		t.Fatalf("empty parameter broke verification: %v", err)
	}
}
