package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestBrowserConsoleCharge: an operator takes payment codes on the console's charge form,
// as a USB scanner types them (the digits, then Enter, which submits): a buyer who must
// confirm on the phone is charged once confirmed, and the order page marks the order as a
// barcode charge with its pay and query in the timeline; a buyer short of money is declined
// with Alipay's reason, on the form.
func TestBrowserConsoleCharge(t *testing.T) {
	b := setup(t)
	ctx := newBrowser(t)
	do(t, ctx, 10*time.Second, chromedp.Navigate(b.url+"/admin"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword), chromedp.Submit(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("chart")))

	code, err := b.sb.NewAuthCode(sandbox.BehaviourPassword, "buyer@example.com")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// The buyer confirms on the phone once the till's charge waits for it.
		testutil.Eventually(0, func() bool {
			_, err := b.sb.ConfirmAuthCode(code.AuthCode, sandbox.OutcomeSuccess)
			return err == nil
		})
	}()
	do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`nav a[href="/admin/charge"]`)), chromedp.WaitVisible(chromedp.ID("charge-form")),
		chromedp.SendKeys(chromedp.ID("charge-amount"), "9.90"), chromedp.SendKeys(chromedp.ID("charge-subject"), "Cola"),
		chromedp.SendKeys(chromedp.ID("charge-code"), code.AuthCode+"\r"))
	eventually(t, ctx, `document.getElementById("order-kind") !== null && document.readyState === "complete"`)
	if s := text(t, ctx, "#order-status"); s != "paid" {
		t.Fatalf("order status %q, want paid", s)
	}
	if msg := text(t, ctx, "#message"); msg != "Charged: the buyer paid." {
		t.Errorf("message %q", msg)
	}
	tl := text(t, ctx, "#timeline")
	for _, want := range []string{"alipay.trade.pay", "alipay.trade.query", "payment.succeeded"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if strings.Contains(tl, code.AuthCode) {
		t.Errorf("the timeline shows the payment code")
	}
	screenshots(t, ctx, "console-charge-paid")

	poor, err := b.sb.NewAuthCode(sandbox.BehaviourInsufficientBalance, "")
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`nav a[href="/admin/charge"]`)), chromedp.WaitVisible(chromedp.ID("charge-form")),
		chromedp.SendKeys(chromedp.ID("charge-amount"), "5.00"), chromedp.SendKeys(chromedp.ID("charge-subject"), "Chips"),
		chromedp.SendKeys(chromedp.ID("charge-code"), poor.AuthCode+"\r"))
	eventually(t, ctx, `document.getElementById("message") !== null && document.getElementById("charge-form") !== null`)
	if msg := text(t, ctx, "#message"); !strings.Contains(msg, "ACQ.BUYER_BALANCE_NOT_ENOUGH") || !strings.HasPrefix(msg, "Declined by Alipay") {
		t.Fatalf("message %q", msg)
	}
	screenshots(t, ctx, "console-charge-declined")
}
