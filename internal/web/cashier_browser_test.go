package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromium finds the browser: $F2FPAY_CHROMIUM, else chromium or chromium-browser on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("F2FPAY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser tests skipped: chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
	return ""
}

// newBrowser starts a headless chromium for the test and returns its first tab. JavaScript
// dialogs (the console's confirmations) are accepted.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), // a buyer in China
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	acceptDialogs(ctx)
	return ctx
}

// newTab opens a second tab in the browser of ctx. Its first action runs without a
// timeout: the tab lives as long as the context of that first action.
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	acceptDialogs(tab)
	return tab
}

// acceptDialogs answers every confirm() of the tab with OK.
func acceptDialogs(ctx context.Context) {
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// do runs steps in the tab within timeout.
func do(t *testing.T, ctx context.Context, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatal(err)
	}
}

// value runs one action that returns a value.
func value[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return value(t, ctx, chromedp.Text(chromedp.CSS(sel)))
}

// screenshots writes the current page at 375 px and 1280 px wide to docs/screenshots when
// F2FPAY_SCREENSHOTS=1, so that ordinary runs leave the tree alone.
func screenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("F2FPAY_SCREENSHOTS") != "1" {
		return
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, w := range []int64{375, 1280} {
		h := map[int64]int64{375: 812, 1280: 900}[w]
		do(t, ctx, 10*time.Second, chromedp.EmulateViewport(w, h), chromedp.Sleep(200*time.Millisecond))
		png := value(t, ctx, chromedp.FullScreenshot(100))
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do(t, ctx, 5*time.Second, chromedp.EmulateViewport(1280, 900))
}

// TestBrowserCashierTurnsPaid opens the cashier, pays in a second tab through the
// simulator's buyer page, and sees the first tab show "paid" within 2 s without a reload.
func TestBrowserCashierTurnsPaid(t *testing.T) {
	b := setup(t)
	p := b.order(t, "9.90")
	cashier := newBrowser(t)
	do(t, cashier, 10*time.Second, chromedp.Navigate(p.CashierURL), chromedp.WaitVisible(chromedp.ID("state-pending")))
	value(t, cashier, chromedp.Evaluate[int](`window.noReload = 42`))
	waitWaiting(t, b, 1) // the page's status stream is open
	if cd := text(t, cashier, "#countdown"); !strings.HasPrefix(cd, "14:") && !strings.HasPrefix(cd, "15:") {
		t.Fatalf("countdown %q, want about 15 minutes", cd)
	}
	if s := text(t, cashier, "#state-pending"); !strings.Contains(s, "等待付款") {
		t.Fatalf("pending text %q", s)
	}
	if !value(t, cashier, chromedp.Evaluate[bool](`document.querySelector("img.qr").naturalWidth === 512`)) {
		t.Fatal("the QR image did not load")
	}
	screenshots(t, cashier, "cashier-pending")

	buyer := newTab(t, cashier)
	do(t, buyer, 10*time.Second, chromedp.Navigate(p.QRCode), chromedp.WaitVisible(chromedp.CSS(`button[value="success"]`)))
	start := time.Now()
	do(t, buyer, 10*time.Second, chromedp.Click(chromedp.CSS(`button[value="success"]`)))
	do(t, cashier, 2*time.Second-time.Since(start), chromedp.WaitVisible(chromedp.ID("state-paid")))
	t.Logf("cashier showed paid %v after the buyer clicked pay", time.Since(start))
	state := value(t, cashier, chromedp.AttributeValue(chromedp.ID("cashier"), "data-state")).Value
	marker := value(t, cashier, chromedp.Evaluate[int](`window.noReload`))
	if state != "paid" || marker != 42 {
		t.Fatalf("state %q marker %d: want paid without a reload", state, marker)
	}
	if s := text(t, cashier, "#state-paid"); !strings.Contains(s, "支付成功") {
		t.Fatalf("paid text %q", s)
	}
	screenshots(t, cashier, "cashier-paid")
}

// TestBrowserCashierExpires leaves an order to expire on screen.
func TestBrowserCashierExpires(t *testing.T) {
	b := setup(t)
	p := b.expiringOrder(t, 3*time.Second)
	ctx := newBrowser(t)
	do(t, ctx, 10*time.Second, chromedp.Navigate(p.CashierURL+"?lang=en"), chromedp.WaitVisible(chromedp.ID("state-pending")))
	do(t, ctx, 6*time.Second, chromedp.WaitVisible(chromedp.ID("state-expired")))
	if s := text(t, ctx, "#state-expired"); !strings.Contains(s, "Expired") {
		t.Fatalf("expired text %q", s)
	}
	if !value(t, ctx, chromedp.Evaluate[bool](`document.getElementById("state-pending").hidden`)) {
		t.Fatal("the QR is still shown after expiry")
	}
}
