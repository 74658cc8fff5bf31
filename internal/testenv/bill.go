package testenv

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// BillRow is one row of a test bill: a payment, or a refund when RefundNo is set. Amount
// is positive for both.
type BillRow struct {
	TradeNo, OutTradeNo, RefundNo, Subject string
	Amount                                 payment.Amount
	At                                     time.Time
}

// detailHeader is the 业务明细 header row of Alipay's layout (internal/alipay/bill's doc).
const detailHeader = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户," +
	"订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称," +
	"商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"

// BillZip renders rows as Alipay's trade bill zip of day for account, in the layout the
// parser reads (GBK text and entry names, CRLF, trailing tabs, a footer and a (汇总) file
// that add up) with a fee of 0.6 % per payment, given back pro rata on refunds.
func BillZip(t testing.TB, account string, day payment.BillDay, rows []BillRow) []byte {
	t.Helper()
	var d, foot strings.Builder
	ymd := strings.ReplaceAll(string(day), "-", "")
	start := day.Start()
	fmt.Fprintf(&d, "#支付宝业务明细查询\n#账号：[%s]\n#起始日期：[%s]   终止日期：[%s]\n", account,
		start.Format("2006年01月02日 15:04:05"), day.End().Format("2006年01月02日 15:04:05"))
	d.WriteString("#-----------------------------------------业务明细列表----------------------------------------\n")
	d.WriteString(detailHeader + "\n")
	var trades, refunds, fee int64
	var nt, nr int
	for _, r := range rows {
		kind, sign, refundNo, f := "交易", int64(1), "", -((int64(r.Amount)*6 + 500) / 1000)
		if r.RefundNo != "" {
			kind, sign, refundNo, f = "退款", -1, r.RefundNo, (int64(r.Amount)*6+500)/1000
			refunds += int64(r.Amount)
			nr++
		} else {
			trades += int64(r.Amount)
			nt++
		}
		fee += f
		at := r.At.In(payment.Beijing()).Format(time.DateTime)
		amt := payment.Amount(sign * int64(r.Amount)).String()
		fmt.Fprintf(&d, "%s\t,%s\t,%s\t,%s,%s,%s,\t,\t,\t,\t,*测(138****0000)\t,%s,%s,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,%s\t,%s,0.00,\n",
			r.TradeNo, r.OutTradeNo, kind, r.Subject, at, at, amt, amt, refundNo, payment.Amount(f))
	}
	d.WriteString("#-----------------------------------------业务明细列表结束------------------------------------\n")
	fmt.Fprintf(&foot, "#交易合计：%d笔，商家实收共%s元，商家优惠共0.00元\n#退款合计：%d笔，商家实收退款共%s元，商家优惠退款共0.00元\n",
		nt, payment.Amount(trades), nr, payment.Amount(-refunds))
	exported := fmt.Sprintf("#导出时间：[%s]\n", day.End().Add(9*time.Hour).Format("2006年01月02日 15:04:05"))
	net := payment.Amount(trades - refunds)
	s := fmt.Sprintf("#支付宝业务汇总查询\n#账号：[%s]\n#起始日期：[%s]   终止日期：[%s]\n"+
		"#-----------------------------------------业务汇总列表----------------------------------------\n"+
		"门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）\n"+
		"\t,\t,%d,%d,%s,%s,0.00,0.00,0.00,%s,0.00,%s\n合计,,%d,%d,%s,%s,0.00,0.00,0.00,%s,0.00,%s\n"+
		"#----------------------------------------业务汇总列表结束-------------------------------------\n%s",
		account, start.Format("2006年01月02日 15:04:05"), day.End().Format("2006年01月02日 15:04:05"),
		nt, nr, net, net, payment.Amount(fee), net+payment.Amount(fee), nt, nr, net, net, payment.Amount(fee), net+payment.Amount(fee), exported)
	return billArchive(t, account+"_"+ymd, d.String()+foot.String()+exported, s)
}

// billArchive zips the two files as Alipay does: GBK names without the UTF-8 flag.
func billArchive(t testing.TB, base, detail, summary string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, text string }{{base + "_业务明细.csv", detail}, {base + "_业务明细(汇总).csv", summary}} {
		enc := simplifiedchinese.GBK.NewEncoder()
		name, err1 := enc.String(f.name)
		text, err2 := enc.String(strings.ReplaceAll(f.text, "\n", "\r\n"))
		if err1 != nil || err2 != nil {
			t.Fatalf("GBK: %v %v", err1, err2)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, NonUTF8: true, Method: zip.Deflate})
		if err == nil {
			_, err = w.Write([]byte(text))
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

// SandboxBillRows lists, as bill rows, the payments and refunds of the sandbox's trades
// nos that fell on day: what Alipay's bill of that day would hold for them.
func SandboxBillRows(t testing.TB, sb *sandbox.Sandbox, appID string, day payment.BillDay, nos ...string) []BillRow {
	t.Helper()
	var rows []BillRow
	for _, no := range nos {
		tr, ok := sb.Trade(appID, no)
		if !ok {
			t.Fatalf("sandbox has no trade %s", no)
		}
		total, err := payment.ParseAmount(tr.TotalAmount)
		if err != nil {
			t.Fatal(err)
		}
		if tr.PaidAt != nil && payment.BillDayOf(*tr.PaidAt) == day {
			rows = append(rows, BillRow{TradeNo: tr.TradeNo, OutTradeNo: no, Subject: tr.Subject, Amount: total, At: *tr.PaidAt})
		}
		for _, r := range tr.Refunds {
			a, err := payment.ParseAmount(r.Amount)
			if err != nil {
				t.Fatal(err)
			}
			if payment.BillDayOf(r.RefundedAt) == day {
				rows = append(rows, BillRow{TradeNo: tr.TradeNo, OutTradeNo: no, RefundNo: r.OutRequestNo, Subject: tr.Subject, Amount: a, At: r.RefundedAt})
			}
		}
	}
	return rows
}
