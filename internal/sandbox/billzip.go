package sandbox

import (
	"archive/zip"
	"bytes"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The bill's fixed lines, as public samples of real Alipay bills show them (see doc.go).
const (
	billDetailTitle  = "#支付宝业务明细查询"
	billSummaryTitle = "#支付宝业务汇总查询"
	billDetailStart  = "#-----------------------------------------业务明细列表----------------------------------------"
	billDetailEnd    = "#-----------------------------------------业务明细列表结束------------------------------------"
	billSummaryStart = "#-----------------------------------------业务汇总列表----------------------------------------"
	billSummaryEnd   = "#----------------------------------------业务汇总列表结束-------------------------------------"
	billDetailHeader = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户," +
		"订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称," +
		"商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
	billSummaryHeader = "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）," +
		"商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）"
	billAccountSuffix = "0156" // a bill account is the seller PID followed by 0156
)

// serviceFee is the sandbox's 0.6 % fee on a payment, rounded half up to the fen.
func serviceFee(amount int64) int64 { return (amount*6 + 500) / 1000 }

// signedFen formats a fen amount with its sign: "-0.59", "0.00", "12.30".
func signedFen(v int64) string {
	if v < 0 {
		return "-" + fen(-v)
	}
	return fen(v)
}

// cell quotes a CSV value when it must be (comma, quote, line break); tab is Alipay's
// trailing tab, kept inside the quotes.
func cell(v string, tab bool) string {
	if tab {
		v += "\t"
	}
	if strings.ContainsAny(v, ",\"\r\n") {
		return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return v
}

// billTotals are a day's sums over the detail rows; amounts in fen, refunds negative.
type billTotals struct {
	trades, refunds     int
	paid, refunded, fee int64
}

func (t *billTotals) add(e billEntry) {
	if e.refund {
		t.refunds++
		t.refunded -= e.amount
		return
	}
	t.trades++
	t.paid += e.amount
	t.fee -= serviceFee(e.amount)
}

// detailRow is one 业务明细 row: amounts negative for a refund, the fee (negative: the
// merchant pays it) on payments only, trailing tabs on the cells Alipay pads.
func detailRow(e billEntry) string {
	kind, amount, fee := "交易", fen(e.amount), signedFen(-serviceFee(e.amount))
	if e.refund {
		kind, amount, fee = "退款", signedFen(-e.amount), "0.00"
	}
	fmtT := func(t time.Time) string { return t.In(shanghai).Format(alipayTimeLayout) }
	return strings.Join([]string{
		cell(e.tradeNo, true), cell(e.outTradeNo, true), cell(kind, true), cell(e.subject, false),
		fmtT(e.createdAt), fmtT(e.at), cell(e.storeID, true), cell("", true), cell(e.operatorID, true),
		cell(e.terminalID, true), cell("*买家("+e.buyer+")", true), amount, amount, "0.00", "0.00", "0.00", "0.00", "0.00",
		"", cell("0.00", true), "0.00", cell(e.requestNo, true), fee, "0.00", cell(e.body, false),
	}, ",")
}

// billHead is the three # lines opening both files.
func billHead(title, account string, day time.Time) []string {
	cn := func(t time.Time) string { return t.Format("2006年01月02日 15:04:05") }
	return []string{title, "#账号：[" + account + "]",
		"#起始日期：[" + cn(day) + "]   终止日期：[" + cn(day.AddDate(0, 0, 1)) + "]"}
}

func exportLine(at time.Time) string {
	return "#导出时间：[" + at.In(shanghai).Format("2006年01月02日 15:04:05") + "]"
}

func detailFile(account string, day time.Time, rows []billEntry, exported time.Time) (string, billTotals) {
	var tot billTotals
	lines := append(billHead(billDetailTitle, account, day), billDetailStart, billDetailHeader)
	for _, e := range rows {
		tot.add(e)
		lines = append(lines, detailRow(e))
	}
	lines = append(lines, billDetailEnd,
		"#交易合计："+strconv.Itoa(tot.trades)+"笔，商家实收共"+signedFen(tot.paid)+"元，商家优惠共0.00元",
		"#退款合计："+strconv.Itoa(tot.refunds)+"笔，商家实收退款共"+signedFen(tot.refunded)+"元，商家优惠退款共0.00元",
		exportLine(exported))
	return strings.Join(lines, "\n") + "\n", tot
}

// summaryRow is one 业务汇总 row: counts, then the detail columns summed (net of refunds).
func summaryRow(store string, storeTab bool, t billTotals) string {
	net := t.paid + t.refunded
	return strings.Join([]string{cell(store, storeTab), cell("", storeTab), strconv.Itoa(t.trades), strconv.Itoa(t.refunds),
		signedFen(net), signedFen(net), "0.00", "0.00", "0.00", signedFen(t.fee), "0.00", signedFen(net + t.fee)}, ",")
}

func summaryFile(account string, day time.Time, rows []billEntry, exported time.Time) string {
	byStore := map[string]*billTotals{}
	var all billTotals
	for _, e := range rows {
		if byStore[e.storeID] == nil {
			byStore[e.storeID] = &billTotals{}
		}
		byStore[e.storeID].add(e)
		all.add(e)
	}
	stores := make([]string, 0, len(byStore))
	for k := range byStore {
		stores = append(stores, k)
	}
	sort.Strings(stores)
	lines := append(billHead(billSummaryTitle, account, day), billSummaryStart, billSummaryHeader)
	for _, k := range stores {
		lines = append(lines, summaryRow(k, true, *byStore[k]))
	}
	lines = append(lines, summaryRow("合计", false, all), billSummaryEnd, exportLine(exported))
	return strings.Join(lines, "\n") + "\n"
}

// gbk encodes text as GBK; a character GBK lacks becomes '?'.
func gbk(s string) ([]byte, error) {
	b, err := encoding.ReplaceUnsupported(simplifiedchinese.GBK.NewEncoder()).Bytes([]byte(s))
	return bytes.ReplaceAll(b, []byte{0x1a}, []byte{'?'}), err
}

// buildBill makes the day's bill zip in Alipay's layout: {account}_{yyyyMMdd}_业务明细.csv
// and …_业务明细(汇总).csv, GBK text with GBK file names (no UTF-8 flag), as real bills
// come. It returns the zip and its download name.
func buildBill(sellerID string, day time.Time, rows []billEntry, exported time.Time) ([]byte, string, error) {
	account := sellerID + billAccountSuffix
	prefix := account + "_" + day.Format("20060102")
	detail, _ := detailFile(account, day, rows, exported)
	files := []struct{ name, text string }{
		{prefix + "_业务明细.csv", detail},
		{prefix + "_业务明细(汇总).csv", summaryFile(account, day, rows, exported)},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		name, err := gbk(f.name)
		if err != nil {
			return nil, "", err
		}
		body, err := gbk(f.text)
		if err != nil {
			return nil, "", err
		}
		h := &zip.FileHeader{Name: string(name), Method: zip.Deflate, Modified: exported.In(shanghai), NonUTF8: true}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return nil, "", err
		}
		if _, err := fw.Write(body); err != nil {
			return nil, "", err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), prefix + ".csv.zip", nil
}
