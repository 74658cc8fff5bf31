package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testenv"
)

// TestBrowserReconciliation: an operator opens the reconciliation page from the console's
// navigation, uploads the day's bill (the sandbox's trades, with one amount changed and a
// sale of another system added), sees the payment whose notification was lost recorded,
// the open discrepancies with links to their orders and the day's totals side by side,
// and acknowledges one with a note.
func TestBrowserReconciliation(t *testing.T) {
	b := setup(t)
	today := payment.BillDayOf(time.Now())
	var nos []string
	for _, amount := range []string{"9.90", "32.00"} {
		p := b.order(t, amount)
		b.pay(t, p.OutTradeNo)
		b.waitStatus(t, p.OutTradeNo, payment.StatusPaid)
		nos = append(nos, p.OutTradeNo)
	}
	b.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyDrop: 1})
	lost := b.order(t, "12.80")
	b.pay(t, lost.OutTradeNo)
	nos = append(nos, lost.OutTradeNo)
	rows := testenv.SandboxBillRows(t, b.sb, alipayAppID, today, nos...)
	rows[1].Amount = 3300 // the 32.00 payment, as a tampered or mistaken bill shows it
	rows = append(rows, testenv.BillRow{TradeNo: "2026112922000000009999", OutTradeNo: "vending_0042", Amount: 500, At: time.Now()})
	zip := filepath.Join(t.TempDir(), "20880000000000000156_"+strings.ReplaceAll(string(today), "-", "")+".csv.zip")
	if err := os.WriteFile(zip, testenv.BillZip(t, "20880000000000000156", today, rows), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	do(t, ctx, 10*time.Second, chromedp.Navigate(b.url+"/admin"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword), chromedp.Submit(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("chart")),
		chromedp.Click(chromedp.CSS(`nav a[href="/admin/reconciliation"]`)), chromedp.WaitVisible(chromedp.ID("upload-form")))
	if got := text(t, ctx, "#runs"); !strings.Contains(got, "No reconciliation yet") {
		t.Fatalf("runs before any: %q", got)
	}
	do(t, ctx, 20*time.Second, chromedp.SetValue(chromedp.ID("upload-date"), string(today)),
		chromedp.SetUploadFiles(chromedp.ID("bill"), []string{zip}), chromedp.Submit(chromedp.ID("upload-form")),
		chromedp.WaitVisible(chromedp.ID("message")))
	if msg := text(t, ctx, "#message"); !strings.Contains(msg, "completed") {
		t.Fatalf("after upload: %q", msg)
	}
	if o, _ := b.store.GetOrder(t.Context(), lost.OutTradeNo); o.Status != payment.StatusPaid {
		t.Fatalf("the lost payment is %s", o.Status)
	}
	open := text(t, ctx, "#discrepancies")
	for _, want := range []string{"amount_mismatch", nos[1], "32.00", "33.00", "unknown_order", "vending_0042"} {
		if !strings.Contains(open, want) {
			t.Errorf("discrepancies lack %q:\n%s", want, open)
		}
	}
	if n := text(t, ctx, "#open-count"); n != "2" {
		t.Fatalf("open count %q", n)
	}
	if href := value(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#discrepancies a[href^="/admin/orders/"]`), "href")); href.Value != "/admin/orders/"+nos[1] {
		t.Errorf("link to the order %q", href.Value)
	}
	runs := text(t, ctx, "#runs")
	for _, want := range []string{"3 · 54.70", "4 · 60.70", "3 / 1 / 2"} {
		if !strings.Contains(runs, want) {
			t.Errorf("run row lacks %q:\n%s", want, runs)
		}
	}
	screenshots(t, ctx, "console-reconciliation")

	row := `//tr[contains(., "vending_0042")]`
	do(t, ctx, 10*time.Second, chromedp.SendKeys(chromedp.Search(row+`//input[@name="note"]`), "the vending machines' own system"),
		chromedp.Submit(chromedp.Search(row+`//form`)), chromedp.WaitVisible(chromedp.ID("message")))
	eventually(t, ctx, `document.getElementById("open-count") !== null && document.getElementById("open-count").textContent === "1"`)
	if msg := text(t, ctx, "#message"); msg != "Discrepancy acknowledged." {
		t.Fatalf("after acknowledging: %q", msg)
	}
}
