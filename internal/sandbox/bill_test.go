package sandbox

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay/bill"
	"github.com/smartwalle/alipay/v3"
)

func fetch(t *testing.T, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// billDay makes one day's business on 2026-05-01 (the app was registered that morning)
// and a refund just after midnight, through the SDK and the control API.
func billDay(t *testing.T, b *bundle) {
	t.Helper()
	p := pre("B1", "7.50", "咖啡, 大杯")
	p.StoreId, p.OperatorId, p.TerminalId = "S1", "op1", "T1"
	if r, err := b.client.TradePreCreate(ctx, p); err != nil || r.IsFailure() {
		t.Fatal(err, r)
	}
	b.sb.Pay(testAppID, "B1", "")
	if r, _ := b.client.TradePay(ctx, barPay("B2", "12.50", newCode(t, b, BehaviourPay))); r.Code != "10000" {
		t.Fatalf("B2: %+v", r)
	}
	if r, _ := b.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: "B1", RefundAmount: "2.50", OutRequestNo: "rf1"}); r.FundChange != "Y" {
		t.Fatalf("refund: %+v", r)
	}
	precreate(t, b, "B3", "1.00")
	b.sb.Pay(testAppID, "B3", "")
	if _, err := b.sb.OutsideRefund(testAppID, "B3", "1.00", ""); err != nil {
		t.Fatal(err)
	}
	precreate(t, b, "B4", "9.00") // scanned, never paid: not in the bill
	b.sb.Scan(testAppID, "B4")
	b.clock.Advance(13*time.Hour + 59*time.Minute + 59*time.Second) // 23:59:59
	precreate(t, b, "B5", "0.84")
	b.sb.Pay(testAppID, "B5", "")
	b.clock.Advance(2 * time.Second) // 2026-05-02 00:00:01
	if _, err := b.sb.OutsideRefund(testAppID, "B2", "1.00", "next-day"); err != nil {
		t.Fatal(err)
	}
}

// TestDailyBill: bill.downloadurl.query answers a URL valid 30 s for a finished day, and
// isp.bill_not_exist for today, later days and days before the app; the zip holds the
// day's trades and refunds in Alipay's layout (see billzip_test.go for the line checks).
func TestDailyBill(t *testing.T) {
	b := setup(t, Config{})
	billDay(t, b)
	b.clock.Advance(10 * time.Hour) // 2026-05-02 10:00:01
	ask := func(date string) (*alipay.BillDownloadURLQueryRsp, error) {
		return b.client.BillDownloadURLQuery(ctx, alipay.BillDownloadURLQuery{BillType: "trade", BillDate: date})
	}
	for _, date := range []string{"2026-04-30", "2026-05-02", "2026-05-03"} {
		if r, err := ask(date); err != nil || r.Code != "40004" || r.SubCode != "isp.bill_not_exist" {
			t.Errorf("%s: %v %+v", date, err, r)
		}
	}
	for _, bad := range []alipay.BillDownloadURLQuery{{BillType: "signcustomer", BillDate: "2026-05-01"}, {BillType: "trade", BillDate: "2026-5-1"}} {
		if r, err := b.client.BillDownloadURLQuery(ctx, bad); err != nil || r.SubCode != "invalid_arguments" {
			t.Errorf("%+v: %v %+v", bad, err, r)
		}
	}
	r, err := ask("2026-05-01")
	if err != nil || r.Code != "10000" || !strings.HasPrefix(r.BillDownloadURL, b.srv.URL+"/sandbox/api/bill?") {
		t.Fatalf("bill url: %v %+v", err, r)
	}
	code, hdr, zipBytes := fetch(t, r.BillDownloadURL)
	account := b.sb.SellerID(testAppID) + "0156"
	if code != 200 || hdr.Get("Content-Type") != "application/zip" ||
		hdr.Get("Content-Disposition") != `attachment; filename="`+account+`_20260501.csv.zip"` {
		t.Fatalf("download: %d %v", code, hdr)
	}
	files := billFiles(t, zipBytes)
	dateLine := "#起始日期：[2026年05月01日 00:00:00]   终止日期：[2026年05月02日 00:00:00]"
	detail, ok1 := files[account+"_20260501_业务明细.csv"]
	summary, ok2 := files[account+"_20260501_业务明细(汇总).csv"]
	if !ok1 || !ok2 || len(files) != 2 {
		t.Fatalf("files: %v", keysOf(files))
	}
	rows := checkDetail(t, detail, account, dateLine)
	checkSummary(t, summary, account, dateLine, rows)
	var got []string
	for _, row := range rows {
		got = append(got, row[1]+" "+row[2]+" "+row[11]+" "+row[21]+" "+row[22])
	}
	want := []string{"B1 交易 7.50  -0.05", "B2 交易 12.50  -0.08", "B1 退款 -2.50 rf1 0.00", "B3 交易 1.00  -0.01",
		"B3 退款 -1.00 B3 0.00", "B5 交易 0.84  -0.01"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b1 := rows[0]; b1[3] != "咖啡, 大杯" || b1[6] != "S1" || b1[8] != "op1" || b1[9] != "T1" || b1[4] != "2026-05-01 10:00:00" {
		t.Fatalf("B1 row: %q", b1)
	}
}

// TestDailyBillLinks: the downloadurl link dies after 30 s and a forged one never works;
// the control route needs no token and serves today so far.
func TestDailyBillLinks(t *testing.T) {
	b := setup(t, Config{})
	billDay(t, b)
	b.clock.Advance(10 * time.Hour) // 2026-05-02 10:00:01
	r, err := b.client.BillDownloadURLQuery(ctx, alipay.BillDownloadURLQuery{BillType: "trade", BillDate: "2026-05-01"})
	if err != nil || r.Code != "10000" {
		t.Fatalf("bill url: %v %+v", err, r)
	}
	account := b.sb.SellerID(testAppID) + "0156"
	if c, _, _ := fetch(t, strings.Replace(r.BillDownloadURL, "token=", "token=0", 1)); c != http.StatusForbidden {
		t.Fatalf("forged link: %d", c)
	}
	b.clock.Advance(31 * time.Second)
	if c, _, _ := fetch(t, r.BillDownloadURL); c != http.StatusGone {
		t.Fatalf("expired link: %d", c)
	}
	code, _, zipBytes := fetch(t, b.srv.URL+"/sandbox/api/bill?app_id="+testAppID+"&date=2026-05-02")
	today := checkDetail(t, billFiles(t, zipBytes)[account+"_20260502_业务明细.csv"], account,
		"#起始日期：[2026年05月02日 00:00:00]   终止日期：[2026年05月03日 00:00:00]")
	if code != 200 || len(today) != 1 || today[0][1] != "B2" || today[0][11] != "-1.00" || today[0][4] != "2026-05-01 10:00:00" {
		t.Fatalf("today's bill: %d %q", code, today)
	}
	for u, want := range map[string]int{"app_id=nope&date=2026-05-01": 404, "app_id=" + testAppID + "&date=2026-13-01": 400,
		"app_id=" + testAppID + "&date=2026-05-09": 400} {
		if c, _, _ := fetch(t, b.srv.URL+"/sandbox/api/bill?"+u); c != want {
			t.Errorf("%s: %d, want %d", u, c, want)
		}
	}
}

// TestEmptyBill: a day without business still has both files, zero totals and a 合计 row.
func TestEmptyBill(t *testing.T) {
	b := setup(t, Config{})
	b.clock.Advance(24 * time.Hour)
	r, err := b.client.BillDownloadURLQuery(ctx, alipay.BillDownloadURLQuery{BillType: "trade", BillDate: "2026-05-01"})
	if err != nil || r.Code != "10000" {
		t.Fatalf("%v %+v", err, r)
	}
	_, _, zipBytes := fetch(t, r.BillDownloadURL)
	account := b.sb.SellerID(testAppID) + "0156"
	files := billFiles(t, zipBytes)
	dateLine := "#起始日期：[2026年05月01日 00:00:00]   终止日期：[2026年05月02日 00:00:00]"
	rows := checkDetail(t, files[account+"_20260501_业务明细.csv"], account, dateLine)
	checkSummary(t, files[account+"_20260501_业务明细(汇总).csv"], account, dateLine, rows)
	if len(rows) != 0 || !strings.Contains(files[account+"_20260501_业务明细(汇总).csv"], "合计,,0,0,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00") {
		t.Fatalf("empty bill: %q", files)
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestBillReadByF2FPayParser: the bill f2fpay's own parser (internal/alipay/bill, written
// from public samples of real bills) reads the sandbox's zip, and finds the same rows and
// totals, its consistency checks included.
func TestBillReadByF2FPayParser(t *testing.T) {
	b := setup(t, Config{})
	billDay(t, b)
	_, _, zipBytes := fetch(t, b.srv.URL+"/sandbox/api/bill?app_id="+testAppID+"&date=2026-05-01")
	got, err := bill.Parse(zipBytes)
	if err != nil {
		t.Fatalf("f2fpay's parser refuses the sandbox bill: %v", err)
	}
	var rows []string
	for _, r := range got.Trades {
		rows = append(rows, fmt.Sprintf("%s %s %d %d %s", r.OutTradeNo, r.Kind, r.Amount, r.Fee, r.RefundNo))
	}
	want := "B1 trade 750 -5 |B2 trade 1250 -8 |B1 refund -250 0 rf1|B3 trade 100 -1 |B3 refund -100 0 B3|B5 trade 84 -1 "
	tot := got.DetailTotals
	if strings.Join(rows, "|") != want || got.Account != b.sb.SellerID(testAppID)+"0156" || got.Footer == nil ||
		tot.TradeCount != 4 || tot.TradeReceived != 2184 || tot.RefundCount != 2 || tot.RefundReceived != -350 || tot.Fee != -15 ||
		got.Summary == nil || len(got.Summary.Rows) != 2 || got.Summary.Total.Net != 2184-350-15 {
		t.Fatalf("parsed: %s\n%+v\n%+v", strings.Join(rows, "|"), tot, got.Summary)
	}
	if r := got.Trades[0]; r.StoreID != "S1" || r.Operator != "op1" || r.TerminalID != "T1" || r.Subject != "咖啡, 大杯" {
		t.Fatalf("B1 as parsed: %+v", r)
	}
}
