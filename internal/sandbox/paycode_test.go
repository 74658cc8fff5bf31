package sandbox

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestPaycodePage: the buyer page shows a payment code (barcode image and digits); a
// till charges it through the SDK; the buyer confirms the password on the page.
func TestPaycodePage(t *testing.T) {
	b := setup(t, Config{})
	code, page := get(t, b.srv.URL+"/sandbox/paycode?behaviour=password")
	m := regexp.MustCompile(`id="auth-code">([0-9]{18})<`).FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, `/sandbox/paycode/`+m[1]+`/barcode.png`) {
		t.Fatalf("page %d: %s", code, page)
	}
	resp, err := http.Get(b.srv.URL + "/sandbox/paycode/" + m[1] + "/barcode.png")
	if err != nil {
		t.Fatal(err)
	}
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || decodeBarcode(t, img) != m[1] {
		t.Fatalf("barcode image: %s", resp.Header.Get("Content-Type"))
	}
	if r, err := b.client.TradePay(ctx, barPay("PG1", "6.60", decodeBarcode(t, img))); err != nil || r.Code != "10003" {
		t.Fatalf("till charges the scanned code: %v %+v", err, r)
	}
	resp, err = http.PostForm(b.srv.URL+"/sandbox/paycode/"+m[1]+"/confirm", url.Values{"outcome": {"success"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "付款成功") {
		t.Fatalf("confirm on the page: %d %s", resp.StatusCode, body)
	}
	if tr, _ := b.sb.Trade(testAppID, "PG1"); tr.Status != StatusTradeSuccess {
		t.Fatalf("trade: %+v", tr)
	}
	if c, p := get(t, b.srv.URL+"/sandbox/paycode"); c != 200 || !strings.Contains(p, "behaviour=insufficient_balance") || strings.Contains(p, `id="auth-code"`) {
		t.Fatalf("chooser: %d %s", c, p)
	}
	if c, _ := get(t, b.srv.URL+"/sandbox/paycode?behaviour=steal"); c != http.StatusBadRequest {
		t.Fatalf("bad behaviour: %d", c)
	}
	if c, _ := get(t, b.srv.URL+"/sandbox/paycode/281111111111111111/barcode.png"); c != http.StatusNotFound {
		t.Fatalf("unknown code image: %d", c)
	}
}
