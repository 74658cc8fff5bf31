package alipay

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

var bg = context.Background()

func TestPrecreateQueryPay(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID, rec := e.app(t)
	qr := e.precreate(t, ch, "o-flow", 990)
	if again := e.precreate(t, ch, "o-flow", 990); again != qr {
		t.Fatalf("repeated precreate gave %q, want the same %q", again, qr)
	}
	st, ok := e.sb.Trade(appID, "o-flow")
	if !ok || st.TotalAmount != "9.90" || st.Subject != "f2fpay test o-flow" || st.NotifyURL != e.sink.url() {
		t.Fatalf("sandbox trade %+v", st)
	}
	if d := st.ExpiresAt.Sub(st.CreatedAt); d < 29*time.Minute || d > 31*time.Minute {
		t.Fatalf("time_expire reached the sandbox as %v after creation, want 30m", d)
	}
	_, err := ch.Precreate(bg, payment.PrecreateRequest{OutTradeNo: "o-flow", TotalAmount: 991, Subject: "f2fpay test o-flow"})
	if pe := wantCode(t, err, payment.CodeUpstreamRejected); pe.AlipaySubCode != "ACQ.CONTEXT_INCONSISTENT" {
		t.Fatalf("other amount: %#v", pe)
	}

	tr, err := ch.Query(bg, "o-flow")
	if err != nil || tr.Status != payment.TradeNotExist || tr.OutTradeNo != "o-flow" {
		t.Fatalf("before scan: %+v, %v", tr, err)
	}
	if _, err := e.sb.Scan(appID, "o-flow"); err != nil {
		t.Fatal(err)
	}
	tr, err = ch.Query(bg, "o-flow")
	if err != nil || tr.Status != payment.TradeWaitBuyerPay || tr.TotalAmount != 990 || tr.TradeNo == "" || tr.PaidAt != nil {
		t.Fatalf("after scan: %+v, %v", tr, err)
	}
	paid, err := e.sb.Pay(appID, "o-flow", "success")
	if err != nil {
		t.Fatal(err)
	}
	tr, err = ch.Query(bg, "o-flow")
	if err != nil || tr.Status != payment.TradeSuccess || tr.TradeNo != paid.TradeNo || tr.BuyerID != paid.BuyerID ||
		tr.BuyerLogonID == "" || tr.PaidAt == nil || tr.PaidAt.Sub(*paid.PaidAt).Abs() > 1e9 {
		t.Fatalf("after pay: %+v, %v (sandbox %+v)", tr, err, paid)
	}
	want := []string{"alipay.trade.precreate:ok", "alipay.trade.precreate:ok", "alipay.trade.precreate:rejected",
		"alipay.trade.query:rejected", "alipay.trade.query:ok", "alipay.trade.query:ok"}
	if got := rec.methods(); !slices.Equal(got, want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	for _, c := range rec.calls {
		if strings.Contains(c.Request, "BEGIN") || strings.Contains(c.Request, `"sign"`) || c.OutTradeNo != "o-flow" {
			t.Fatalf("recorded call %+v", c)
		}
	}
}

func TestRefunds(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID, rec := e.app(t)
	e.paid(t, ch, appID, "o-refund", 1000)

	res, err := ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-refund", RefundNo: "r1", Amount: 300, Reason: "partial"})
	if err != nil || !res.Succeeded || res.RefundFee != 300 || res.Amount != 300 {
		t.Fatalf("first refund: %+v, %v", res, err)
	}
	// The same refund number again: an idempotent repeat, confirmed by a refund query.
	res, err = ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-refund", RefundNo: "r1", Amount: 300, Reason: "partial"})
	if err != nil || !res.Succeeded || res.RefundFee != 300 {
		t.Fatalf("repeat: %+v, %v", res, err)
	}
	if got := rec.methods(); !slices.Equal(got[len(got)-2:], []string{"alipay.trade.refund:ok", "alipay.trade.fastpay.refund.query:ok"}) {
		t.Fatalf("the repeat was not confirmed by a refund query: %v", got)
	}
	if st, _ := e.sb.Trade(appID, "o-refund"); st.RefundedAmount != "3.00" || len(st.Refunds) != 1 {
		t.Fatalf("sandbox refunded %s in %d refunds, want 3.00 once", st.RefundedAmount, len(st.Refunds))
	}
	res, err = ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-refund", RefundNo: "r2", Amount: 200})
	if err != nil || !res.Succeeded || res.RefundFee != 500 {
		t.Fatalf("second refund: %+v, %v", res, err)
	}
	_, err = ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-refund", RefundNo: "r3", Amount: 501})
	if pe := wantCode(t, err, payment.CodeUpstreamRejected); pe.AlipaySubCode != "ACQ.REASON_TRADE_REFUND_FEE_ERR" {
		t.Fatalf("over-refund: %#v", pe)
	}
	_, err = ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-refund", RefundNo: "r1", Amount: 100})
	if pe := wantCode(t, err, payment.CodeUpstreamRejected); pe.AlipaySubCode != "ACQ.DISCORDANT_REPEAT_REQUEST" {
		t.Fatalf("same number, other amount: %#v", pe)
	}

	q, err := ch.RefundQuery(bg, "o-refund", "r2")
	if err != nil || !q.Found || !q.Succeeded || q.Amount != 200 {
		t.Fatalf("refund query r2: %+v, %v", q, err)
	}
	q, err = ch.RefundQuery(bg, "o-refund", "r-unknown")
	if err != nil || q.Found || q.Succeeded {
		t.Fatalf("refund query of an unknown number: %+v, %v", q, err)
	}
}

func TestRefundUnpaidRejected(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID, _ := e.app(t)
	e.precreate(t, ch, "o-unpaid", 100)
	if _, err := e.sb.Scan(appID, "o-unpaid"); err != nil {
		t.Fatal(err)
	}
	_, err := ch.Refund(bg, payment.RefundRequest{OutTradeNo: "o-unpaid", RefundNo: "r1", Amount: 100})
	if pe := wantCode(t, err, payment.CodeUpstreamRejected); pe.AlipaySubCode != "ACQ.TRADE_STATUS_ERROR" {
		t.Fatalf("refund of an unpaid trade: %#v", pe)
	}
}

func TestCloseScanned(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID, rec := e.app(t)
	e.precreate(t, ch, "o-close", 100)
	if _, err := e.sb.Scan(appID, "o-close"); err != nil {
		t.Fatal(err)
	}
	if err := ch.Close(bg, "o-close"); err != nil {
		t.Fatal(err)
	}
	if tr, err := ch.Query(bg, "o-close"); err != nil || tr.Status != payment.TradeClosed {
		t.Fatalf("after close: %+v, %v", tr, err)
	}
	// Closing again is not an error.
	if err := ch.Close(bg, "o-close"); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := e.sb.Pay(appID, "o-close", "success"); err == nil {
		t.Fatal("sandbox paid a closed trade")
	}
	if got := rec.methods(); got[1] != "alipay.trade.close:ok" {
		t.Fatalf("recorded %v", got)
	}
}

func TestCloseUnscannedCancels(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID, rec := e.app(t)
	e.precreate(t, ch, "o-cancel", 100)
	if err := ch.Close(bg, "o-cancel"); err != nil {
		t.Fatal(err)
	}
	want := []string{"alipay.trade.precreate:ok", "alipay.trade.close:rejected", "alipay.trade.cancel:ok"}
	if got := rec.methods(); !slices.Equal(got, want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	if _, err := e.sb.Pay(appID, "o-cancel", "success"); err == nil {
		t.Fatal("the QR of a closed unscanned order can still be paid")
	}
	if st, _ := e.sb.Trade(appID, "o-cancel"); st.QRActive || st.PaidAt != nil {
		t.Fatalf("sandbox trade after close: %+v", st)
	}
	if err := ch.Close(bg, "o-cancel"); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestClosePaidRejected(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, appID, _ := e.app(t)
	e.paid(t, ch, appID, "o-paid", 100)
	err := ch.Close(bg, "o-paid")
	if pe := wantCode(t, err, payment.CodeUpstreamRejected); pe.AlipaySubCode != "ACQ.TRADE_STATUS_ERROR" {
		t.Fatalf("close of a paid trade: %#v", pe)
	}
	if st, _ := e.sb.Trade(appID, "o-paid"); st.Status != "TRADE_SUCCESS" {
		t.Fatalf("sandbox trade is %s after the refused close", st.Status)
	}
}

func TestGatewaySystemErrorIsUnknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ch, appID, rec := e.app(t)
	e.paid(t, ch, appID, "o-fault", 100)
	e.sb.SetFaults(sandbox.Faults{GatewaySystemError: 1, Methods: []string{"alipay.trade.query"}, Seed: 1})
	_, err := ch.Query(bg, "o-fault")
	pe := wantCode(t, err, payment.CodeUpstreamUnavailable)
	if !payment.IsUnknownOutcome(err) || pe.AlipaySubCode == "" {
		t.Fatalf("err %#v", pe)
	}
	if got := rec.methods(); got[len(got)-1] != "alipay.trade.query:unknown" {
		t.Fatalf("recorded %v", got)
	}
	// Other methods are unaffected.
	if _, err := ch.RefundQuery(bg, "o-fault", "r-none"); err != nil {
		t.Fatalf("refund query: %v", err)
	}
	e.sb.ClearFaults()
	if tr, err := ch.Query(bg, "o-fault"); err != nil || tr.Status != payment.TradeSuccess {
		t.Fatalf("after clearing faults: %+v, %v", tr, err)
	}
}
