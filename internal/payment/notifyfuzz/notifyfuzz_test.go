package notifyfuzz_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// truthChannel is Alipay as a fake that knows three trades: fz_paid (paid 9.90, with one
// refund rf-1 of 1.00), fz_pending (not paid) and fz_closed (closed unpaid). Its
// "signature" is sign=valid, so that the fuzzer reaches everything after the check; it
// parses forms as the alipay adapter's contract says (malformed: INVALID_PARAMETER).
type truthChannel struct{}

const (
	fzAppID  = "2021000000000001"
	fzSeller = "2088000000000001"
	fzTrade  = "2024010122001400000000000001"
)

func (truthChannel) AppID() string    { return fzAppID }
func (truthChannel) SellerID() string { return fzSeller }

func (truthChannel) Precreate(context.Context, payment.PrecreateRequest) (string, error) {
	return "https://qr.alipay.com/fuzz", nil
}

func (truthChannel) Query(_ context.Context, no string) (*payment.Trade, error) {
	paidAt := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
	switch no {
	case "fz_paid":
		return &payment.Trade{Status: payment.TradeSuccess, OutTradeNo: no, TradeNo: fzTrade, TotalAmount: 990, PaidAt: &paidAt}, nil
	case "fz_pending":
		return &payment.Trade{Status: payment.TradeWaitBuyerPay, OutTradeNo: no, TotalAmount: 990}, nil
	case "fz_closed":
		return &payment.Trade{Status: payment.TradeClosed, OutTradeNo: no, TotalAmount: 990}, nil
	}
	return &payment.Trade{Status: payment.TradeNotExist, OutTradeNo: no}, nil
}

func (truthChannel) RefundQuery(_ context.Context, no, refundNo string) (*payment.RefundResult, error) {
	if no == "fz_paid" && refundNo == "rf-1" {
		return &payment.RefundResult{Found: true, Succeeded: true, Amount: 100}, nil
	}
	return &payment.RefundResult{}, nil
}

func (truthChannel) Refund(context.Context, payment.RefundRequest) (*payment.RefundResult, error) {
	return nil, errors.New("not in this test")
}

func (truthChannel) Close(context.Context, string) error { return errors.New("not in this test") }

func (truthChannel) VerifyNotification(form url.Values) (*payment.Notification, error) {
	if form.Get("sign") != "valid" {
		return nil, payment.Errorf(payment.CodeUnauthorized, "bad signature")
	}
	bad := func(f string) error { return payment.Errorf(payment.CodeInvalidParameter, "bad %s", f) }
	n := &payment.Notification{NotifyID: form.Get("notify_id"), AppID: form.Get("app_id"), SellerID: form.Get("seller_id"),
		OutTradeNo: form.Get("out_trade_no"), TradeNo: form.Get("trade_no"), TradeStatus: payment.TradeStatus(form.Get("trade_status")),
		BuyerID: form.Get("buyer_id"), BuyerLogonID: form.Get("buyer_logon_id"), OutBizNo: form.Get("out_biz_no")}
	if n.NotifyID == "" || n.OutTradeNo == "" || form.Get("notify_type") != "trade_status_sync" {
		return nil, bad("notify_id, out_trade_no or notify_type")
	}
	switch n.TradeStatus {
	case payment.TradeWaitBuyerPay, payment.TradeSuccess, payment.TradeClosed, payment.TradeFinished:
	default:
		return nil, bad("trade_status")
	}
	var err error
	if n.TotalAmount, err = payment.ParseAmount(form.Get("total_amount")); err != nil {
		return nil, bad("total_amount")
	}
	if v := form.Get("refund_fee"); v != "" {
		if n.RefundFee, err = payment.ParseAmount(v); err != nil {
			return nil, bad("refund_fee")
		}
	}
	for k, p := range map[string]**time.Time{"gmt_payment": &n.GmtPayment, "gmt_refund": &n.GmtRefund, "gmt_close": &n.GmtClose} {
		if v := form.Get(k); v != "" {
			t, err := time.ParseInLocation(time.DateTime, v, time.UTC)
			if err != nil {
				return nil, bad(k)
			}
			*p = &t
		}
	}
	n.HasRefund = form.Get("refund_fee") != "" || n.OutBizNo != "" || n.GmtRefund != nil
	return n, nil
}

// fuzzService is the core over real SQLite with the truthChannel and its three orders.
// The database lives in RAM when the system has /dev/shm: every notification commits its
// audit row, and an fsync per execution (synchronous=FULL) would set the fuzzer's pace.
func fuzzService(f testing.TB) (*payment.Service, *sqlite.Store) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("/dev/shm", "f2fpay-fuzz-")
	if err != nil {
		dir = f.TempDir()
	} else {
		f.Cleanup(func() { os.RemoveAll(dir) })
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "f2fpay.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		f.Fatal(err)
	}
	svc := payment.NewService(st, truthChannel{}, box, nil, payment.Config{PublicURL: "https://pay.example.com", ConfirmWithQuery: true}, nil)
	c, _, err := svc.CreateMerchant(ctx, "fuzz", "")
	if err != nil {
		f.Fatal(err)
	}
	for _, no := range []string{"fz_paid", "fz_pending", "fz_closed"} {
		if _, _, err := svc.Create(ctx, c.AppID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 990, Subject: "fuzz"}); err != nil {
			f.Fatal(err)
		}
	}
	return svc, st
}

// FuzzHandleNotification feeds notification bodies through the whole notify path: form
// parsing, the channel's verification, the checks against the order and Alipay's answers,
// the transaction and the audit. A body is a signed form of Alipay's fields with the
// fuzzer's values followed by raw bytes (tail), or the raw bytes alone (rawOnly): fields as
// separate inputs keep each input short, so that minimizing one (quadratic in its length)
// takes seconds rather than the run. It must never panic, and no body may make the gateway
// believe more than Alipay says: the pending order stays pending, the closed one unpaid,
// and the paid one refunded by at most the 1.00 Alipay knows of.
func FuzzHandleNotification(f *testing.F) {
	svc, st := fuzzService(f)
	f.Add("fz_paid", "TRADE_SUCCESS", "9.90", "", "", "", false)
	f.Add("fz_paid", "TRADE_SUCCESS", "9.90", "rf-1", "1.00", "&gmt_refund=2024-01-01+11%3A00%3A00", false)
	f.Add("fz_pending", "TRADE_SUCCESS", "9.90", "", "", "&trade_status=TRADE_FINISHED", false)
	f.Add("fz_closed", "TRADE_CLOSED", "9.90", "", "", "&gmt_close=2024-01-01+12%3A00%3A00", false)
	f.Add("fz_paid", "TRADE_SUCCESS", "1e3", "rf-2", "-0.01", "&sign=x&%zz", false)
	f.Add("", "", "", "", "", "notify_id=%ff&sign=valid&total_amount=9.90&total_amount=0.01", true)
	ctx := context.Background()
	truth := map[string]func(*payment.Order) bool{
		"fz_pending": func(o *payment.Order) bool { return o.Status == payment.StatusPending && o.RefundedAmount == 0 },
		"fz_closed":  func(o *payment.Order) bool { return o.RefundedAmount == 0 && o.PaidAt == nil },
		"fz_paid":    func(o *payment.Order) bool { return o.RefundedAmount <= 100 },
	}
	var changed []string
	svc.OnChange(func(o *payment.Order) { changed = append(changed, o.OutTradeNo) })
	f.Fuzz(func(t *testing.T, outTradeNo, status, amount, outBizNo, refundFee, tail string, rawOnly bool) {
		// Longer values find nothing shorter ones do not (the audit clips at 64), and
		// minimizing an input takes time quadratic in its length.
		for _, v := range []string{outTradeNo, status, amount, outBizNo, refundFee} {
			if len(v) > 80 {
				return
			}
		}
		if len(tail) > 128 {
			return
		}
		raw := tail
		if !rawOnly {
			form := url.Values{"notify_type": {"trade_status_sync"}, "notify_id": {"n1"}, "app_id": {fzAppID},
				"seller_id": {fzSeller}, "trade_no": {fzTrade}, "gmt_payment": {"2024-01-01 10:00:00"}, "sign": {"valid"},
				"sign_type": {"RSA2"}, "out_trade_no": {outTradeNo}, "trade_status": {status}, "total_amount": {amount}}
			if outBizNo != "" || refundFee != "" {
				form["out_biz_no"], form["refund_fee"] = []string{outBizNo}, []string{refundFee}
			}
			raw = form.Encode() + tail
		}
		changed = changed[:0]
		_ = svc.HandleNotification(ctx, raw, "192.0.2.1:443")
		for _, no := range changed { // only a committed change can break what Alipay says
			o, err := st.GetOrder(ctx, no)
			if err != nil || !truth[no](o) {
				t.Fatalf("after %q: %s is %+v (%v)", raw, no, o, err)
			}
		}
	})
}
