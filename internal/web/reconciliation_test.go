package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testenv"
)

// sandboxBill fetches the sandbox's bill of day (its control API serves today too).
func (b *testBundle) sandboxBill(t *testing.T, day payment.BillDay) []byte {
	t.Helper()
	resp, err := http.Get(b.url + "/sandbox/api/bill?app_id=" + alipayAppID + "&date=" + string(day))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sandbox bill: %d %s", resp.StatusCode, data)
	}
	return data
}

// upload posts a bill zip to the console's upload form.
func upload(t *testing.T, hc *http.Client, b *testBundle, csrf string, day payment.BillDay, zip []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": csrf, "date": string(day)} {
		if k != "csrf" || v != "" {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("bill", "bill.csv.zip")
	_, _ = fw.Write(zip)
	_ = mw.Close()
	resp, err := hc.Post(b.url+"/admin/reconciliation/upload", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp, string(page)
}

var ackForm = regexp.MustCompile(`action="/admin/reconciliation/discrepancies/(\d+)/acknowledge"`)

// TestReconciliationConsole: the page before any run; "reconcile now" for today is refused
// as Alipay refuses it (no bill yet); an uploaded sandbox bill finds the payment whose
// notification was dropped and records it; a crafted bill's foreign trade stays open until
// the operator acknowledges it with a note; forms without the CSRF token change nothing.
func TestReconciliationConsole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	csrf := login(t, b, hc)
	today := payment.BillDayOf(time.Now())
	page := get(t, hc, b.url+"/admin/reconciliation", http.StatusOK)
	if !strings.Contains(page, "No reconciliation yet") || !strings.Contains(page, `href="/admin/reconciliation" class="on"`) {
		t.Fatalf("empty page:\n%s", page)
	}
	checkBalanced(t, "reconciliation", page)
	b.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyDrop: 1})
	p := b.order(t, "9.90")
	b.pay(t, p.OutTradeNo)

	resp := postForm(t, hc, b.url+"/admin/reconciliation/run", url.Values{"csrf": {csrf}, "date": {string(today)}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("reconcile today: %d, want 409 (no bill yet)", resp.StatusCode)
	}
	if resp, _ := upload(t, hc, b, "", today, b.sandboxBill(t, today)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("upload without CSRF: %d", resp.StatusCode)
	}
	resp, body := upload(t, hc, b, csrf, today, b.sandboxBill(t, today))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/reconciliation?done=run&run=") {
		t.Fatalf("upload: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if o, _ := b.store.GetOrder(t.Context(), p.OutTradeNo); o.Status != payment.StatusPaid {
		t.Fatalf("the bill's payment was not recorded: %s", o.Status)
	}
	all := get(t, hc, b.url+"/admin/reconciliation?all=1", http.StatusOK)
	if !strings.Contains(all, `<a href="/admin/orders/`+p.OutTradeNo+`">`) || !strings.Contains(all, "payment_not_recorded") {
		t.Fatalf("resolved discrepancy not listed with its order:\n%s", all)
	}

	rows := append(testenv.SandboxBillRows(t, b.sb, alipayAppID, today, p.OutTradeNo),
		testenv.BillRow{TradeNo: "2026112922000000000001", OutTradeNo: "other_pos_7", Amount: 1200, At: time.Now()})
	foreign := testenv.BillZip(t, "20880000000000000156", today, rows)
	if resp, body := upload(t, hc, b, csrf, today, foreign); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second upload: %d\n%s", resp.StatusCode, body)
	}
	page = get(t, hc, b.url+"/admin/reconciliation", http.StatusOK)
	m := ackForm.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "unknown_order") || !strings.Contains(page, `<small id="open-count">1</small>`) {
		t.Fatalf("open discrepancy not shown:\n%s", page)
	}
	ack := b.url + "/admin/reconciliation/discrepancies/" + m[1] + "/acknowledge"
	for form, want := range map[string]int{"": http.StatusForbidden, csrf + "|": http.StatusBadRequest} {
		tok, note, _ := strings.Cut(form, "|")
		if resp := postForm(t, hc, ack, url.Values{"csrf": {tok}, "note": {note}}); resp.StatusCode != want {
			t.Fatalf("acknowledge with %q: %d, want %d", form, resp.StatusCode, want)
		}
	}
	if resp := postForm(t, hc, ack, url.Values{"csrf": {csrf}, "note": {"the old POS system's sale"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", resp.StatusCode)
	}
	page = get(t, hc, b.url+"/admin/reconciliation?done=acknowledged", http.StatusOK)
	if !strings.Contains(page, "No open discrepancies") || !strings.Contains(page, "Discrepancy acknowledged.") {
		t.Fatalf("after acknowledging:\n%s", page)
	}
	if resp := postForm(t, hc, ack, url.Values{"csrf": {csrf}, "note": {"again"}}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("acknowledge twice: %d", resp.StatusCode)
	}
}

// TestReconciliationBadInput: a bad date, a file that is not a bill and a bill of another
// day are refused with a message and store nothing.
func TestReconciliationBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	csrf := login(t, b, hc)
	today := payment.BillDayOf(time.Now())
	if resp := postForm(t, hc, b.url+"/admin/reconciliation/run", url.Values{"csrf": {csrf}, "date": {"yesterday"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad date: %d", resp.StatusCode)
	}
	if resp, body := upload(t, hc, b, csrf, today, []byte("not a zip")); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Not a readable Alipay bill") {
		t.Errorf("junk upload: %d", resp.StatusCode)
	}
	// A real day's bill is larger than the 64 KiB every other console form may send: the
	// upload route is read up to its own limit, and judged by its content.
	big := bytes.Repeat([]byte("x"), 512<<10)
	if resp, body := upload(t, hc, b, csrf, today, big); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Not a readable Alipay bill") {
		t.Errorf("512 KiB upload: %d, want 400 from the bill check (not 413 from the page limit)", resp.StatusCode)
	}
	if resp, body := upload(t, hc, b, csrf, today, b.sandboxBill(t, today.AddDays(-1))); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not "+string(today)) {
		t.Errorf("bill of another day: %d", resp.StatusCode)
	}
	get(t, hc, b.url+"/admin/reconciliation/discrepancies/x/acknowledge", http.StatusNotFound)
	if runs, _ := b.store.ListReconRuns(t.Context(), 0, 10); len(runs) != 0 {
		t.Fatalf("%d runs stored", len(runs))
	}
}
