package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestReconcileLeavesWeChatOut: Alipay's bill lists only Alipay's trades, so a day with
// WeChat Pay payments and refunds beside Alipay's agrees with it: the books count the
// Alipay orders only and nothing is reported missing from the bill.
func TestReconcileLeavesWeChatOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	te := testenv.New(t, testenv.Options{Config: payment.Config{ConfirmWithQuery: true}, WeChat: true})
	e := &reconEnv{t: t, te: te, store: te.Store, svc: te.Service, account: te.Sandbox.SellerID(te.AppID) + "0156",
		day: payment.BillDayOf(time.Now())}
	e.svc.SetBillSource(te.Channel)
	c, _, err := e.svc.CreateMerchant(ctx, "recon", "")
	if err != nil {
		t.Fatal(err)
	}
	e.clientID = c.AppID
	e.paid("mixed_ali_1", 990)

	if _, _, err := e.svc.Create(ctx, e.clientID, payment.CreateRequest{OutTradeNo: "mixed_wx_1", TotalAmount: 2000,
		Subject: "对账", Channel: payment.ChannelWeChat}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{"mchid": te.WeChatMchID, "out_trade_no": "mixed_wx_1"})
	resp, err := http.Post(te.WeChatURL+"/sandbox/wechat/api/pay", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	testutil.WaitFor(t, 0, "the WeChat payment", func() bool { return e.get("mixed_wx_1").Status == payment.StatusPaid })
	if _, err := e.svc.Refund(ctx, e.clientID, payment.RefundInput{OutTradeNo: "mixed_wx_1", RefundNo: "wxr1", Amount: 500}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 0, "the WeChat refund to settle", func() bool { return e.get("mixed_wx_1").RefundedAmount == 500 })

	run := e.reconcile(e.sandboxBill())
	if counts(run) != [3]int{} || len(e.found()) != 0 {
		t.Fatalf("run %+v, discrepancies %v", run, e.found())
	}
	if want := (payment.BillTotals{TradeCount: 1, TradeAmount: 990}); run.Totals.Books != want {
		t.Fatalf("books %+v, want %+v", run.Totals.Books, want)
	}
}
