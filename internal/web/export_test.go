package web_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestExportCSV: finance's export of a day range is UTF-8 with a byte-order mark, one row
// per payment and per refund of the range with its amount and Beijing time, and text that
// would start a spreadsheet formula is defused; a bad range is refused.
func TestExportCSV(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	login(t, b, hc)
	ctx := t.Context()
	for _, no := range []string{"exp_csv_1", "exp_csv_2"} {
		if _, _, err := b.svc.Create(ctx, b.appID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 1288, Subject: "@HYPERLINK(\"x\") 会员卡"}); err != nil {
			t.Fatal(err)
		}
		b.pay(t, no)
		b.waitStatus(t, no, payment.StatusPaid)
	}
	if _, err := b.svc.Refund(ctx, b.appID, payment.RefundInput{OutTradeNo: "exp_csv_2", RefundNo: "r-1", Amount: 200, Reason: "部分退款"}); err != nil {
		t.Fatal(err)
	}
	b.order(t, "1.00") // never paid: not in the export
	today := string(payment.BillDayOf(time.Now()))
	resp, err := hc.Get(b.url + "/admin/reconciliation/export.csv?from=" + today + "&to=" + today)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "f2fpay-"+today+"_"+today+".csv") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	rest, bom := bytes.CutPrefix(body, []byte{0xEF, 0xBB, 0xBF})
	if !bom {
		t.Fatal("no UTF-8 byte-order mark: Excel would read the Chinese as gibberish")
	}
	recs, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "type,out_trade_no,refund_no,trade_no,client_id,subject,amount,status,created_at,money_moved_at,note" {
		t.Fatalf("header %v", recs[0])
	}
	var payments, refunds int
	for _, r := range recs[1:] {
		switch {
		case r[0] == "payment" && strings.HasPrefix(r[1], "exp_csv_"):
			payments++
			if r[5] != `'@HYPERLINK("x") 会员卡` || r[6] != "12.88" || r[3] == "" || !strings.HasPrefix(r[9], today) {
				t.Errorf("payment row %q", r)
			}
		case r[0] == "refund":
			refunds++
			if r[1] != "exp_csv_2" || r[2] != "r-1" || r[6] != "2.00" || r[7] != "succeeded" || r[10] != "部分退款" {
				t.Errorf("refund row %q", r)
			}
		}
	}
	if payments != 2 || refunds != 1 || len(recs) != 4 {
		t.Fatalf("%d payments, %d refunds, %d rows:\n%s", payments, refunds, len(recs), rest)
	}
	for _, q := range []string{"from=" + today, "from=2026-11-30&to=2026-11-01", "from=2026-01-01&to=2026-12-31", "from=x&to=y"} {
		get(t, hc, b.url+"/admin/reconciliation/export.csv?"+q, http.StatusBadRequest)
	}
}
