package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

var ctx = context.Background()

func TestPrecreateAndRepeat(t *testing.T) {
	b := setup(t, Config{})
	rsp := precreate(t, b, "A1", "9.90")
	if rsp.OutTradeNo != "A1" || !strings.HasPrefix(rsp.QRCode, b.srv.URL+"/sandbox/scan/bax") {
		t.Fatalf("bad precreate answer %+v", rsp)
	}
	again := precreate(t, b, "A1", "9.90")
	if again.QRCode != rsp.QRCode {
		t.Fatalf("repeat precreate gave another QR: %s vs %s", again.QRCode, rsp.QRCode)
	}
	if _, err := b.sb.Scan(testAppID, "A1"); err != nil {
		t.Fatal(err)
	}
	if again := precreate(t, b, "A1", "9.90"); again.QRCode != rsp.QRCode {
		t.Fatal("repeat after scan gave another QR")
	}
	for name, p := range map[string]alipay.TradePreCreate{
		"amount":  pre("A1", "9.91", "测试商品"),
		"subject": pre("A1", "9.90", "other"),
	} {
		r, err := b.client.TradePreCreate(ctx, p)
		if err != nil || r.SubCode != "ACQ.CONTEXT_INCONSISTENT" || r.Code != "40004" {
			t.Errorf("%s changed: %v %+v", name, err, r)
		}
	}
	if _, err := b.sb.Pay(testAppID, "A1", ""); err != nil {
		t.Fatal(err)
	}
	r, err := b.client.TradePreCreate(ctx, pre("A1", "9.90", "测试商品"))
	if err != nil || r.SubCode != "ACQ.TRADE_HAS_SUCCESS" {
		t.Fatalf("paid: %v %+v", err, r)
	}
}

func pre(no, amount, subject string) alipay.TradePreCreate {
	p := alipay.TradePreCreate{}
	p.OutTradeNo, p.TotalAmount, p.Subject = no, amount, subject
	return p
}

func TestPrecreateInvalid(t *testing.T) {
	b := setup(t, Config{})
	cases := map[string]alipay.TradePreCreate{
		"amount zero":      pre("B1", "0.00", "s"),
		"amount 3 dec":     pre("B1", "1.001", "s"),
		"amount too big":   pre("B1", "100000000.01", "s"),
		"amount text":      pre("B1", "abc", "s"),
		"no subject":       pre("B1", "1.00", ""),
		"bad out_trade_no": pre("B 1", "1.00", "s"),
		"no out_trade_no":  pre("", "1.00", "s"),
	}
	p := pre("B1", "1.00", "s")
	p.SellerId = "2088000000000000"
	cases["foreign seller"] = p
	p = pre("B1", "1.00", "s")
	p.Body = strings.Repeat("长", 129)
	cases["long body"] = p
	p = pre("B1", "1.00", "s")
	p.TimeExpire = "2020-01-01 00:00:00"
	cases["time_expire past"] = p
	p = pre("B1", "1.00", "s")
	p.TimeoutExpress = "1.5h"
	cases["timeout_express"] = p
	for name, p := range cases {
		r, err := b.client.TradePreCreate(ctx, p)
		if err != nil || r.Code != "40004" || r.SubCode != "ACQ.INVALID_PARAMETER" {
			t.Errorf("%s: %v %+v", name, err, r)
		}
	}
}

func TestQueryLifecycle(t *testing.T) {
	b := setup(t, Config{})
	precreate(t, b, "Q1", "12.34")
	q, err := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "Q1"})
	if err != nil || q.SubCode != "ACQ.TRADE_NOT_EXIST" || q.OutTradeNo != "Q1" || q.BuyerPayAmount != "0.00" {
		t.Fatalf("before scan: %v %+v", err, q)
	}
	tr, err := b.sb.Scan(testAppID, "Q1")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.TradeNo) != 28 || !strings.HasPrefix(tr.BuyerID, "2088") || len(tr.BuyerID) != 16 || !strings.Contains(tr.BuyerLogonID, "****") {
		t.Fatalf("trade identity: %+v", tr)
	}
	q, err = b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "Q1"})
	if err != nil || q.IsFailure() || q.TradeStatus != alipay.TradeStatusWaitBuyerPay || q.TradeNo != tr.TradeNo {
		t.Fatalf("after scan: %v %+v", err, q)
	}
	b.sb.Pay(testAppID, "Q1", "success")
	q, err = b.client.TradeQuery(ctx, alipay.TradeQuery{TradeNo: tr.TradeNo})
	if err != nil || q.TradeStatus != alipay.TradeStatusSuccess || q.TotalAmount != "12.34" || q.BuyerPayAmount != "12.34" || q.SendPayDate == "" {
		t.Fatalf("after pay: %v %+v", err, q)
	}
	q, err = b.client.TradeQuery(ctx, alipay.TradeQuery{})
	if err != nil || q.SubCode != "ACQ.INVALID_PARAMETER" {
		t.Fatalf("no selector: %v %+v", err, q)
	}
}

func TestClose(t *testing.T) {
	b := setup(t, Config{})
	precreate(t, b, "C1", "1.00")
	r, err := b.client.TradeClose(ctx, alipay.TradeClose{OutTradeNo: "C1"})
	if err != nil || r.SubCode != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("unscanned: %v %+v", err, r)
	}
	b.sb.Scan(testAppID, "C1")
	r, err = b.client.TradeClose(ctx, alipay.TradeClose{OutTradeNo: "C1"})
	if err != nil || r.IsFailure() {
		t.Fatalf("close: %v %+v", err, r)
	}
	if tr, _ := b.sb.Trade(testAppID, "C1"); tr.Status != StatusTradeClosed {
		t.Fatalf("status %s", tr.Status)
	}
	r, err = b.client.TradeClose(ctx, alipay.TradeClose{OutTradeNo: "C1"})
	if err != nil || r.SubCode != "ACQ.TRADE_STATUS_ERROR" {
		t.Fatalf("second close: %v %+v", err, r)
	}
	if _, err := b.sb.Pay(testAppID, "C1", ""); err == nil {
		t.Fatal("paid a closed trade")
	}
	if r, _ := b.client.TradePreCreate(ctx, pre("C1", "1.00", "测试商品")); r.SubCode != "ACQ.TRADE_HAS_CLOSE" {
		t.Fatalf("precreate closed: %+v", r)
	}
}

func TestCancel(t *testing.T) {
	b := setup(t, Config{})
	precreate(t, b, "K1", "1.00")
	r, err := b.client.TradeCancel(ctx, alipay.TradeCancel{OutTradeNo: "K1"})
	if err != nil || r.IsFailure() || r.Action != "close" || r.RetryFlag != "N" {
		t.Fatalf("unscanned cancel: %v %+v", err, r)
	}
	if _, err := b.sb.Scan(testAppID, "K1"); err != ErrQRInvalid {
		t.Fatalf("scan after cancel: %v", err)
	}
	if _, err := b.sb.Pay(testAppID, "K1", ""); err == nil {
		t.Fatal("paid a cancelled QR")
	}
	// never precreated: 10000, retry_flag N, no action (Alipay returns action only for a
	// trade that exists); the number stays dead, so a late precreate cannot revive it
	for range 2 {
		r, err := b.client.TradeCancel(ctx, alipay.TradeCancel{OutTradeNo: "K0"})
		if err != nil || r.Code != "10000" || r.RetryFlag != "N" || r.Action != "" || r.TradeNo != "" || r.OutTradeNo != "K0" {
			t.Fatalf("cancel unknown: %v %+v", err, r)
		}
	}
	if r, _ := b.client.TradePreCreate(ctx, pre("K0", "1.00", "s")); r.SubCode != "ACQ.TRADE_HAS_CLOSE" {
		t.Fatalf("precreate after cancel: %+v", r)
	}
	// scanned, unpaid
	precreate(t, b, "K2", "1.00")
	b.sb.Scan(testAppID, "K2")
	if r, _ := b.client.TradeCancel(ctx, alipay.TradeCancel{OutTradeNo: "K2"}); r.Action != "close" || r.TradeNo == "" {
		t.Fatalf("cancel unpaid: %+v", r)
	}
	// paid within 24 h: full refund
	precreate(t, b, "K3", "5.00")
	b.sb.Pay(testAppID, "K3", "")
	if r, _ := b.client.TradeCancel(ctx, alipay.TradeCancel{OutTradeNo: "K3"}); r.Action != "refund" {
		t.Fatalf("cancel paid: %+v", r)
	}
	if tr, _ := b.sb.Trade(testAppID, "K3"); tr.Status != StatusTradeClosed || tr.RefundedAmount != "5.00" {
		t.Fatalf("after cancel refund: %+v", tr)
	}
	// paid more than 24 h ago
	precreate(t, b, "K4", "5.00")
	b.sb.Pay(testAppID, "K4", "")
	b.clock.Advance(25 * time.Hour)
	if r, _ := b.client.TradeCancel(ctx, alipay.TradeCancel{OutTradeNo: "K4"}); r.SubCode != "ACQ.TRADE_CANCEL_TIME_OUT" {
		t.Fatalf("late cancel: %+v", r)
	}
}

func TestRefundRules(t *testing.T) {
	b := setup(t, Config{})
	precreate(t, b, "R1", "10.00")
	refund := func(no, amount string) *alipay.TradeRefundRsp {
		t.Helper()
		r, err := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "R1", RefundAmount: amount, OutRequestNo: no})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := refund("x", "1.00"); r.SubCode != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("unscanned: %+v", r)
	}
	b.sb.Scan(testAppID, "R1")
	if r := refund("x", "1.00"); r.SubCode != "ACQ.TRADE_STATUS_ERROR" {
		t.Fatalf("unpaid: %+v", r)
	}
	b.sb.Pay(testAppID, "R1", "")
	if r := refund("r1", "3.00"); r.IsFailure() || r.FundChange != "Y" || r.RefundFee != "3.00" {
		t.Fatalf("first: %+v", r)
	}
	if r := refund("r1", "3.00"); r.IsFailure() || r.FundChange != "N" || r.RefundFee != "3.00" {
		t.Fatalf("repeat: %+v", r)
	}
	if r := refund("r1", "4.00"); r.SubCode != "ACQ.DISCORDANT_REPEAT_REQUEST" {
		t.Fatalf("discordant: %+v", r)
	}
	if r := refund("r2", "7.01"); r.SubCode != "ACQ.REASON_TRADE_REFUND_FEE_ERR" {
		t.Fatalf("over: %+v", r)
	}
	if r := refund("r2", "7.00"); r.IsFailure() || r.RefundFee != "10.00" {
		t.Fatalf("rest: %+v", r)
	}
	if tr, _ := b.sb.Trade(testAppID, "R1"); tr.Status != StatusTradeClosed {
		t.Fatalf("full refund leaves %s", tr.Status)
	}
	if r := refund("r2", "7.00"); r.FundChange != "N" {
		t.Fatalf("repeat after close: %+v", r)
	}
	if r := refund("r3", "0.01"); r.SubCode != "ACQ.REASON_TRADE_REFUND_FEE_ERR" {
		t.Fatalf("after full: %+v", r)
	}
	q, err := b.client.TradeFastPayRefundQuery(ctx, alipay.TradeFastPayRefundQuery{OutTradeNo: "R1", OutRequestNo: "r1"})
	if err != nil || q.RefundStatus != "REFUND_SUCCESS" || q.RefundAmount != "3.00" || q.TotalAmount != "10.00" {
		t.Fatalf("refund query: %v %+v", err, q)
	}
	q, err = b.client.TradeFastPayRefundQuery(ctx, alipay.TradeFastPayRefundQuery{OutTradeNo: "R1", OutRequestNo: "nope"})
	if err != nil || q.IsFailure() || q.RefundStatus != "" || q.RefundAmount != "" {
		t.Fatalf("unknown refund: %v %+v", err, q)
	}
	q, err = b.client.TradeFastPayRefundQuery(ctx, alipay.TradeFastPayRefundQuery{OutTradeNo: "none", OutRequestNo: "r1"})
	if err != nil || q.SubCode != "ACQ.TRADE_NOT_EXIST" {
		t.Fatalf("refund query unknown trade: %v %+v", err, q)
	}
}

func TestRefundFinishedAndDefaultRequestNo(t *testing.T) {
	b := setup(t, Config{})
	precreate(t, b, "F1", "2.00")
	b.sb.Pay(testAppID, "F1", "")
	r, _ := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "F1", RefundAmount: "1.00"})
	if r.SubCode != "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL" {
		t.Fatalf("partial without out_request_no: %+v", r)
	}
	if err := b.sb.FinishTrade(testAppID, "F1"); err != nil {
		t.Fatal(err)
	}
	r, _ = b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "F1", RefundAmount: "1.00", OutRequestNo: "x"})
	if r.SubCode != "ACQ.TRADE_HAS_FINISHED" {
		t.Fatalf("finished: %+v", r)
	}
}

func TestExpiry(t *testing.T) {
	b := setup(t, Config{TimeScale: 60})
	p := pre("E1", "1.00", "s")
	p.TimeExpire = b.clock.Now().Add(15 * time.Minute).In(shanghai).Format(alipayTimeLayout)
	if r, err := b.client.TradePreCreate(ctx, p); err != nil || r.IsFailure() {
		t.Fatal(err, r)
	}
	precreate(t, b, "E2", "1.00") // default 3 h → 3 min at scale 60
	b.sb.Scan(testAppID, "E2")
	b.clock.Advance(15*time.Second + time.Millisecond) // 15 min / 60
	if _, err := b.sb.Scan(testAppID, "E1"); err != ErrQRInvalid {
		t.Fatalf("expired QR scanned: %v", err)
	}
	if tr, _ := b.sb.Trade(testAppID, "E2"); tr.Status != StatusWaitBuyerPay {
		t.Fatal("E2 closed too early")
	}
	b.clock.Advance(3 * time.Minute)
	b.sb.sweep()
	q, _ := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "E2"})
	if q.TradeStatus != alipay.TradeStatusClosed {
		t.Fatalf("E2 after expiry: %+v", q)
	}
}
