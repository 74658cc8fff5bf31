package bill

import (
	"archive/zip"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// update rewrites testdata/ from the fixture text below:
//
//	go test ./internal/alipay/bill -run TestFixtureIsCurrent -update
var update = flag.Bool("update", false, "rewrite the committed fixture zip from fixtureDetail and fixtureSummary")

const (
	fixtureAccount = "20881021234567890156"
	fixtureZip     = "testdata/" + fixtureAccount + "_20261128.csv.zip"
	detailEntry    = fixtureAccount + "_20261128_业务明细.csv"
	summaryEntry   = fixtureAccount + "_20261128_业务明细(汇总).csv"
)

// fixtureDetail is one day of a shop in Alipay's layout (see the package doc for the public
// samples it follows): four trades at two "stores" (one without a store), one with a
// merchant discount, a partial refund with its out_request_no and the fee given back, fees
// of 0.6 %, and a footer that adds up. `\t` stands for the tab Alipay leaves after values.
const fixtureDetail = `#支付宝业务明细查询
#账号：[20881021234567890156]
#起始日期：[2026年11月28日 00:00:00]   终止日期：[2026年11月29日 00:00:00]
#-----------------------------------------业务明细列表----------------------------------------
支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
2026112822001412341000000001\t,F2F20261128091502A1\t,交易\t,拿铁咖啡 大杯,2026-11-28 09:15:02,2026-11-28 09:15:09,NJ001\t,南京西路店\t,cashier01\t,POS-7\t,*明(138****1234)\t,32.00,32.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-0.19,0.00,
2026112822001412341000000002\t,F2F20261128102233B7\t,交易\t,会员年卡,2026-11-28 10:22:33,2026-11-28 10:22:41,NJ001\t,南京西路店\t,cashier02\t,POS-7\t,*华(lih***@163.com)\t,1288.00,1288.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-7.73,0.00,
2026112822001412341000000003\t,F2F20261128133007C2\t,交易\t,可颂,2026-11-28 13:30:07,2026-11-28 13:30:12,\t,\t,\t,\t,*芳(159****8810)\t,9.90,9.90,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-0.06,0.00,
2026112822001412341000000002\t,F2F20261128102233B7\t,退款\t,会员年卡,2026-11-28 10:22:33,2026-11-28 15:47:20,NJ001\t,南京西路店\t,cashier02\t,POS-7\t,*华(lih***@163.com)\t,-200.00,-200.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,RF20261128154718\t,1.20,0.00,部分退款
2026112822001412341000000004\t,F2F20261128184455D9\t,交易\t,双人套餐,2026-11-28 18:44:55,2026-11-28 18:45:03,\t,\t,\t,\t,*强(186****0042)\t,50.00,45.00,0.00,0.00,0.00,5.00,0.00,,0.00\t,0.00,\t,-0.27,0.00,
#-----------------------------------------业务明细列表结束------------------------------------
#交易合计：4笔，商家实收共1374.90元，商家优惠共5.00元
#退款合计：1笔，商家实收退款共-200.00元，商家优惠退款共0.00元
#导出时间：[2026年11月29日 09:12:44]
`

// fixtureSummary is the same day's (汇总) file: per store, net of the refund.
const fixtureSummary = `#支付宝业务汇总查询
#账号：[20881021234567890156]
#起始日期：[2026年11月28日 00:00:00]   终止日期：[2026年11月29日 00:00:00]
#-----------------------------------------业务汇总列表----------------------------------------
门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）
NJ001\t,南京西路店\t,2,1,1120.00,1120.00,0.00,0.00,0.00,-6.72,0.00,1113.28
\t,\t,2,0,59.90,54.90,0.00,5.00,0.00,-0.33,0.00,54.57
合计,,4,1,1179.90,1174.90,0.00,5.00,0.00,-7.05,0.00,1167.85
#----------------------------------------业务汇总列表结束-------------------------------------
#导出时间：[2026年11月29日 09:12:44]
`

// render turns fixture text into file text: real tabs, CRLF line ends.
func render(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\t`, "\t"), "\n", "\r\n")
}

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("GBK encode: %v", err)
	}
	return b
}

// entry is one file of a test zip; gbkName stores the name as GBK without the UTF-8 flag,
// as Alipay does.
type entry struct {
	name    string
	data    []byte
	gbkName bool
}

func makeZip(t testing.TB, method uint16, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: method,
			Modified: time.Date(2026, 11, 29, 9, 12, 44, 0, shanghai)}
		if e.gbkName {
			h.Name, h.NonUTF8 = string(gbk(t, e.name)), true
		}
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write(e.data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fixtureEntries(t testing.TB) []entry {
	return []entry{
		{name: detailEntry, data: gbk(t, render(fixtureDetail)), gbkName: true},
		{name: summaryEntry, data: gbk(t, render(fixtureSummary)), gbkName: true},
	}
}

// TestFixtureIsCurrent: the committed zip holds exactly the fixture text, GBK-encoded with
// GBK names and no UTF-8 flag; -update rewrites it.
func TestFixtureIsCurrent(t *testing.T) {
	if *update {
		if err := os.WriteFile(fixtureZip, makeZip(t, zip.Deflate, fixtureEntries(t)...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(fixtureZip)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := fixtureEntries(t)
	if len(zr.File) != len(want) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(want))
	}
	for i, f := range zr.File {
		if f.Flags&0x800 != 0 || f.Name != string(gbk(t, want[i].name)) || entryName(f.Name) != want[i].name {
			t.Errorf("entry %d: name %q (flags %#x), want GBK %q without the UTF-8 flag", i, f.Name, f.Flags, want[i].name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		_, _ = got.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(got.Bytes(), want[i].data) {
			t.Errorf("%s differs from the fixture text; run with -update", want[i].name)
		}
	}
}

func sh(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// TestParseFixture reads the committed real-layout bill.
func TestParseFixture(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.FromSlash(fixtureZip))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.Account != fixtureAccount || !b.From.Equal(sh("2026-11-28 00:00:00")) || !b.To.Equal(sh("2026-11-29 00:00:00")) ||
		!b.ExportedAt.Equal(sh("2026-11-29 09:12:44")) || b.From.Location().String() != "Asia/Shanghai" {
		t.Errorf("head: %q %v %v %v", b.Account, b.From, b.To, b.ExportedAt)
	}
	if len(b.Trades) != 5 {
		t.Fatalf("%d rows, want 5", len(b.Trades))
	}
	wantTrade := Row{Line: 6, TradeNo: "2026112822001412341000000001", OutTradeNo: "F2F20261128091502A1", Kind: KindTrade,
		Subject: "拿铁咖啡 大杯", CreatedAt: sh("2026-11-28 09:15:02"), FinishedAt: sh("2026-11-28 09:15:09"),
		StoreID: "NJ001", StoreName: "南京西路店", Operator: "cashier01", TerminalID: "POS-7",
		Amount: 3200, Received: 3200, Fee: -19}
	wantRefund := Row{Line: 9, TradeNo: "2026112822001412341000000002", OutTradeNo: "F2F20261128102233B7", Kind: KindRefund,
		Subject: "会员年卡", CreatedAt: sh("2026-11-28 10:22:33"), FinishedAt: sh("2026-11-28 15:47:20"),
		StoreID: "NJ001", StoreName: "南京西路店", Operator: "cashier02", TerminalID: "POS-7",
		Amount: -20000, Received: -20000, Fee: 120, RefundNo: "RF20261128154718", Remark: "部分退款"}
	if !reflect.DeepEqual(b.Trades[0], wantTrade) {
		t.Errorf("first trade:\n got %+v\nwant %+v", b.Trades[0], wantTrade)
	}
	if !reflect.DeepEqual(b.Trades[3], wantRefund) {
		t.Errorf("refund:\n got %+v\nwant %+v", b.Trades[3], wantRefund)
	}
	if r := b.Trades[4]; r.Amount != 5000 || r.Received != 4500 || r.Discount != 500 || r.StoreID != "" {
		t.Errorf("discounted trade: %+v", r)
	}
	wantTotals := Totals{TradeCount: 4, TradeAmount: 137990, TradeReceived: 137490, TradeDiscount: 500,
		RefundCount: 1, RefundAmount: -20000, RefundReceived: -20000, Fee: -705}
	if b.DetailTotals != wantTotals {
		t.Errorf("totals %+v, want %+v", b.DetailTotals, wantTotals)
	}
	wantFooter := Totals{TradeCount: 4, TradeReceived: 137490, TradeDiscount: 500, RefundCount: 1, RefundReceived: -20000}
	if b.Footer == nil || *b.Footer != wantFooter {
		t.Errorf("footer %+v, want %+v", b.Footer, wantFooter)
	}
	checkFixtureSummary(t, b)
}

func checkFixtureSummary(t *testing.T, b *Bill) {
	t.Helper()
	s := b.Summary
	if s == nil || len(s.Rows) != 2 || s.Account != fixtureAccount {
		t.Fatalf("summary %+v", s)
	}
	wantStore := SummaryRow{Line: 6, StoreID: "NJ001", StoreName: "南京西路店", TradeCount: 2, RefundCount: 1,
		Amount: 112000, Received: 112000, Fee: -672, Net: 111328}
	wantTotal := SummaryRow{Line: 8, StoreID: "合计", TradeCount: 4, RefundCount: 1, Amount: 117990, Received: 117490,
		MerchantDiscount: 500, Fee: -705, Net: 116785}
	if s.Rows[0] != wantStore || s.Total != wantTotal {
		t.Errorf("summary rows:\n got %+v / %+v\nwant %+v / %+v", s.Rows[0], s.Total, wantStore, wantTotal)
	}
	if s.Total.Fee != b.DetailTotals.Fee || s.Total.TradeCount != b.DetailTotals.TradeCount {
		t.Error("the fixture's summary disagrees with its detail")
	}
}

// TestParseFiles reads the two CSV files without the zip, with and without the summary.
func TestParseFiles(t *testing.T) {
	t.Parallel()
	b, err := ParseFiles(gbk(t, render(fixtureDetail)), nil)
	if err != nil || b.Summary != nil || len(b.Trades) != 5 {
		t.Fatalf("detail only: %v %+v", err, b)
	}
	b, err = ParseFiles(gbk(t, render(fixtureDetail)), gbk(t, render(fixtureSummary)))
	if err != nil || b.Summary == nil || b.Summary.Total.Net != 116785 {
		t.Fatalf("both: %v %+v", err, b)
	}
}
