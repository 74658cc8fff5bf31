package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/f2fpay/f2fpay/internal/web"
)

// TestBrowserConsoleRefund: log in, find the paid order by its number, refund 1.00 from the
// order page, and see the refund in the timeline.
func TestBrowserConsoleRefund(t *testing.T) {
	b := setup(t)
	var target string
	for i, amount := range []string{"9.90", "12.50", "3.00", "25.00", "6.60"} {
		p := b.order(t, amount)
		if i%2 == 0 {
			b.pay(t, p.OutTradeNo)
			b.waitStatus(t, p.OutTradeNo, payment.StatusPaid)
			target = p.OutTradeNo
		}
	}
	ctx := newBrowser(t)
	do(t, ctx, 10*time.Second, chromedp.Navigate(b.url+"/admin"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword), chromedp.Submit(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("chart")))
	if n := text(t, ctx, "#today-count"); n != "5" {
		t.Fatalf("today's count %q, want 5", n)
	}
	if r := text(t, ctx, "#today-rate"); r != "60.0%" {
		t.Fatalf("paid rate %q, want 60.0%%", r)
	}
	screenshots(t, ctx, "console-dashboard")

	do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`nav a[href="/admin/orders"]`)), chromedp.WaitVisible(chromedp.ID("filters")),
		chromedp.SendKeys(chromedp.CSS(`#filters input[name="q"]`), target), chromedp.Submit(chromedp.ID("filters")))
	// The unfiltered list shows the order too: wait for the search's own page.
	searched := `location.search.indexOf("q=") >= 0 && document.readyState === "complete" && document.getElementById("filters") !== null`
	eventually(t, ctx, searched)
	if rows := value(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("table.orders tbody tr").length`)); rows != 1 {
		t.Fatalf("search shows %d rows, want 1", rows)
	}
	do(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`a[href="/admin/orders/`+target+`"]`)),
		chromedp.WaitVisible(chromedp.ID("refund-form")),
		chromedp.SendKeys(chromedp.ID("amount"), "1.00"), chromedp.SendKeys(chromedp.ID("reason"), "browser test"),
		chromedp.Submit(chromedp.ID("refund-form")), // the confirm() is accepted
		chromedp.WaitVisible(chromedp.ID("message")))
	if msg := text(t, ctx, "#message"); msg != "Refund submitted." {
		t.Fatalf("after refund: %q", msg)
	}
	tl := text(t, ctx, "#timeline")
	for _, want := range []string{"refund console_", "1.00 yuan · succeeded", "refund.succeeded", "alipay.trade.refund", "signature verified"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if r := text(t, ctx, "#refunded"); r != "1.00 yuan" {
		t.Fatalf("refunded %q", r)
	}
	screenshots(t, ctx, "console-order")
}

// eventually waits for a JavaScript condition with testutil's generous deadline; errors
// while a page is being replaced count as "not yet".
func eventually(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	testutil.WaitFor(t, 0, "true in the page: "+cond, func() bool {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](cond))
		return err == nil && ok
	})
}

// TestBrowserLoginLockout: five wrong passwords lock the login, even for the right one.
func TestBrowserLoginLockout(t *testing.T) {
	b := setup(t)
	ctx := newBrowser(t)
	try := func(password string) string {
		do(t, ctx, 10*time.Second, chromedp.Navigate(b.url+"/admin/login"), chromedp.WaitVisible(chromedp.ID("password")),
			chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Submit(chromedp.ID("login")),
			chromedp.WaitVisible(chromedp.ID("message")))
		return text(t, ctx, "#message")
	}
	for i := 1; i <= web.MaxLoginFailures; i++ {
		msg := try("not the password")
		if i < web.MaxLoginFailures && msg != "Wrong password." || i == web.MaxLoginFailures && !strings.Contains(msg, "locked") {
			t.Fatalf("attempt %d: %q", i, msg)
		}
	}
	if msg := try(adminPassword); !strings.Contains(msg, "locked") {
		t.Fatalf("right password while locked: %q", msg)
	}
}

// TestBrowserCSRFRefused: a console form stripped of its CSRF token is refused.
func TestBrowserCSRFRefused(t *testing.T) {
	b := setup(t)
	p := b.order(t, "2.00")
	ctx := newBrowser(t)
	do(t, ctx, 10*time.Second, chromedp.Navigate(b.url+"/admin/login"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword), chromedp.Submit(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("chart")),
		chromedp.Navigate(b.url+"/admin/orders/"+p.OutTradeNo), chromedp.WaitVisible(chromedp.ID("close-form")))
	value(t, ctx, chromedp.Evaluate[bool](`document.querySelector("#close-form input[name=csrf]").remove() || true`))
	do(t, ctx, 10*time.Second, chromedp.Submit(chromedp.ID("close-form")), chromedp.WaitVisible(chromedp.ID("message")))
	if msg := text(t, ctx, "#message"); !strings.Contains(msg, "CSRF") {
		t.Fatalf("message %q, want a CSRF refusal", msg)
	}
	if o, _ := b.store.GetOrder(t.Context(), p.OutTradeNo); o.Status != payment.StatusPending {
		t.Fatalf("order %s after a refused close", o.Status)
	}
}
