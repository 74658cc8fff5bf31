package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestBrowserWeChatCashier: a WeChat order's cashier page in Chromium wears WeChat Pay's
// brand and asks to scan with WeChat; the buyer pays on the WeChat sandbox's page in
// another tab, and the cashier turns paid without a reload; the console names the channel.
func TestBrowserWeChatCashier(t *testing.T) {
	b := setupWith(t, true)
	no := fmt.Sprintf("wxweb%d", orderSeq.Add(1)+time.Now().UnixNano()%1e9)
	p, _, err := b.client.Create(context.Background(), client.CreateRequest{OutTradeNo: no, TotalAmount: "12.34",
		Subject: "微信测试商品", Channel: "wechat"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Channel != "wechat" || !strings.HasPrefix(p.QRCode, "weixin://wxpay/bizpayurl?pr=") {
		t.Fatalf("created %+v", p)
	}
	cashier := newBrowser(t)
	do(t, cashier, 10*time.Second, chromedp.Navigate(p.CashierURL), chromedp.WaitVisible(chromedp.ID("state-pending")))
	if s := text(t, cashier, "#state-pending"); !strings.Contains(s, "请使用微信扫一扫") || strings.Contains(s, "支付宝") {
		t.Fatalf("pending text %q", s)
	}
	if s := text(t, cashier, "#brand"); s != "微信支付" {
		t.Fatalf("brand %q", s)
	}
	if c := value(t, cashier, chromedp.Evaluate[string](`getComputedStyle(document.getElementById("brand")).backgroundColor`)); c != "rgb(7, 193, 96)" {
		t.Fatalf("brand colour %q, want WeChat green rgb(7, 193, 96)", c)
	}
	if value(t, cashier, chromedp.Evaluate[bool](`document.querySelector("a.button") !== null`)) {
		t.Fatal("a WeChat cashier offers an open-in-app link; a Native code_url can only be scanned")
	}
	if !value(t, cashier, chromedp.Evaluate[bool](`document.querySelector("img.qr").naturalWidth === 512`)) {
		t.Fatal("the QR image did not load")
	}
	value(t, cashier, chromedp.Evaluate[int](`window.noReload = 7`))
	waitWaiting(t, b, 1)
	screenshots(t, cashier, "cashier-wechat-pending")

	buyer := newTab(t, cashier)
	pr := strings.TrimPrefix(p.QRCode, "weixin://wxpay/bizpayurl?pr=")
	do(t, buyer, 10*time.Second, chromedp.Navigate(b.url+"/sandbox/wechat/scan/"+pr),
		chromedp.WaitVisible(chromedp.CSS(`button[value="success"]`)))
	start := time.Now()
	do(t, buyer, 10*time.Second, chromedp.Click(chromedp.CSS(`button[value="success"]`)))
	do(t, cashier, 10*time.Second, chromedp.WaitVisible(chromedp.ID("state-paid")))
	t.Logf("the WeChat cashier showed paid %v after the buyer paid", time.Since(start))
	if marker := value(t, cashier, chromedp.Evaluate[int](`window.noReload`)); marker != 7 {
		t.Fatal("the page reloaded")
	}
	o := b.waitStatus(t, no, payment.StatusPaid)
	if o.TradeNo == "" || o.Channel != payment.ChannelWeChat {
		t.Fatalf("order %+v", o)
	}
	screenshots(t, cashier, "cashier-wechat-paid")

	console := newBrowser(t)
	do(t, console, 10*time.Second, chromedp.Navigate(b.url+"/admin"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword), chromedp.Submit(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("chart")))
	do(t, console, 10*time.Second, chromedp.Navigate(b.url+"/admin/orders/"+no), chromedp.WaitVisible(chromedp.ID("channel")))
	if s := text(t, console, "#channel"); s != "WeChat Pay" {
		t.Fatalf("console channel %q", s)
	}
}
