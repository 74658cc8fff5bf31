package bill

import (
	"errors"
	"strings"
	"testing"
)

// fixtureRows parses the fixture once: the reference the variations must reproduce.
func fixtureRows(t *testing.T) *Bill {
	t.Helper()
	b, err := ParseFiles(gbk(t, render(fixtureDetail)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// permute rewrites every data line (not '#' lines) of fixture text with its cells picked
// by order; the fixture has no quoted cells, so splitting at commas is exact.
func permute(text string, order []int) string {
	ls := strings.Split(text, "\n")
	for i, l := range ls {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cells := strings.Split(l, ",")
		out := make([]string, len(order))
		for j, k := range order {
			out[j] = cells[k]
		}
		ls[i] = strings.Join(out, ",")
	}
	return strings.Join(ls, "\n")
}

func replace(s string, pairs ...string) string { return strings.NewReplacer(pairs...).Replace(s) }

// sameRows compares what reconciliation uses, ignoring the columns a variation drops.
func sameRows(t *testing.T, got, want *Bill, withOptional bool) {
	t.Helper()
	if len(got.Trades) != len(want.Trades) {
		t.Fatalf("%d rows, want %d", len(got.Trades), len(want.Trades))
	}
	for i, g := range got.Trades {
		w := want.Trades[i]
		g.Line, w.Line = 0, 0
		if !withOptional {
			g.Subject, g.StoreID, g.StoreName, g.Operator, g.TerminalID, g.Remark = "", "", "", "", "", ""
			w.Subject, w.StoreID, w.StoreName, w.Operator, w.TerminalID, w.Remark = "", "", "", "", "", ""
		}
		if g != w {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

// TestDetailVariations: each known variation of the layout reads as the fixture does.
func TestDetailVariations(t *testing.T) {
	t.Parallel()
	want := fixtureRows(t)
	reversed := make([]int, 25)
	for i := range reversed {
		reversed[i] = 24 - i
	}
	cases := []struct {
		name string
		file func(t *testing.T) []byte
	}{
		{"columns in reverse order", func(t *testing.T) []byte { return gbk(t, render(permute(fixtureDetail, reversed))) }},
		{"half-width parentheses", func(t *testing.T) []byte { return gbk(t, render(replace(fixtureDetail, "（元）", "(元)"))) }},
		{"no unit, spaced names", func(t *testing.T) []byte {
			return gbk(t, render(replace(fixtureDetail, "订单金额（元）", " 订单金额 ", "商家实收（元）", "商家实收 (元)")))
		}},
		{"thousands separators", func(t *testing.T) []byte {
			return gbk(t, render(replace(fixtureDetail, ",1288.00,1288.00,", `,"1,288.00", "1,288.00" ,`, "共1374.90元", "共1,374.90元")))
		}},
		{"spaces and tabs around cells", func(t *testing.T) []byte {
			return gbk(t, render(replace(fixtureDetail, `\t,`, `\t \t,`, ",32.00,", ", 32.00\t,", ",交易", ",\u3000交易")))
		}},
		{"UTF-8 with BOM", func(t *testing.T) []byte { return []byte("\ufeff" + render(fixtureDetail)) }},
		{"GBK after a BOM", func(t *testing.T) []byte { return append([]byte{0xEF, 0xBB, 0xBF}, gbk(t, render(fixtureDetail))...) }},
		{"UTF-8 without BOM", func(t *testing.T) []byte { return []byte(render(fixtureDetail)) }},
		{"LF line ends", func(t *testing.T) []byte { return gbk(t, replace(fixtureDetail, `\t`, "\t")) }},
		{"spreadsheet re-save", func(t *testing.T) []byte {
			s := replace(fixtureDetail, "#交易合计：4笔，商家实收共1374.90元，商家优惠共5.00元",
				`"#交易合计：4笔，商家实收共1374.90元，商家优惠共5.00元",,,,`, "#导出时间：[2026年11月29日 09:12:44]",
				"#导出时间：[2026年11月29日 09:12:44],,,,,", "2026-11-28 09:15:02", "2026/11/28 9:15:02")
			return gbk(t, render(s+",,,,\n\n"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseFiles(c.file(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, got, want, true)
			if got.DetailTotals != want.DetailTotals || *got.Footer != *want.Footer || got.Account != fixtureAccount {
				t.Errorf("totals %+v footer %+v account %q", got.DetailTotals, got.Footer, got.Account)
			}
		})
	}
}

// TestDetailNewerLayout: the 29-column variant (退款批次号 without /请求号, 实收净额, 交易方式,
// 花呗分期…) and a file without the optional columns both read by name.
func TestDetailNewerLayout(t *testing.T) {
	t.Parallel()
	want := fixtureRows(t)
	newer := replace(fixtureDetail, "退款批次号/请求号", "退款批次号", ",备注\n", ",实收净额（元）,商户识别号,交易方式,备注,花呗分期手续费,花呗分期数\n")
	ls := strings.Split(newer, "\n")
	for i := 5; i < 10; i++ { // the rows: 实收净额 etc. before 备注, two columns after it
		cut := strings.LastIndex(ls[i], ",")
		ls[i] = ls[i][:cut] + ",0.00,2088100191421638,无线支付" + ls[i][cut:] + ",0.00,0"
	}
	got, err := ParseFiles(gbk(t, render(strings.Join(ls, "\n"))), nil)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, got, want, true)

	// Only the required columns (and 服务费 dropped: fees read as 0).
	keep := []int{0, 1, 2, 4, 5, 11, 12}
	got, err = ParseFiles(gbk(t, render(permute(fixtureDetail, keep))), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.DetailTotals.Fee != 0 || got.Trades[3].RefundNo != "" || got.DetailTotals.TradeReceived != 137490 {
		t.Errorf("minimal layout: %+v", got.DetailTotals)
	}
}

// TestDetailEmptyDay: a day without trades, with or without a header row.
func TestDetailEmptyDay(t *testing.T) {
	t.Parallel()
	head, _, _ := strings.Cut(fixtureDetail, "2026112822001412341000000001")
	_, foot, _ := strings.Cut(fixtureDetail, "#-----------------------------------------业务明细列表结束")
	foot = "#-----------------------------------------业务明细列表结束" + foot
	foot = replace(foot, "4笔，商家实收共1374.90元，商家优惠共5.00元", "0笔，商家实收共0.00元，商家优惠共0.00元",
		"1笔，商家实收退款共-200.00元", "0笔，商家实收退款共0.00元")
	withHeader := head + foot
	withoutHeader := strings.Join(strings.Split(head, "\n")[:4], "\n") + "\n" + foot
	for _, text := range []string{withHeader, withoutHeader} {
		b, err := ParseFiles(gbk(t, render(text)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Trades) != 0 || b.DetailTotals != (Totals{}) || b.Footer == nil || b.Account != fixtureAccount {
			t.Errorf("empty day: %+v", b)
		}
	}
}

// mustFail checks that a malformed bill gives a *FormatError at the right place.
func mustFail(t *testing.T, detail, summary []byte, line int, column, msg string) {
	t.Helper()
	b, err := ParseFiles(detail, summary)
	var fe *FormatError
	if err == nil || !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
		t.Fatalf("want a *FormatError, got %v (bill %v)", err, b != nil)
	}
	if fe.Line != line || fe.Column != column || !strings.Contains(fe.Msg, msg) {
		t.Errorf("got %q (line %d, column %q); want line %d, column %q, message with %q", err, fe.Line, fe.Column, line, column, msg)
	}
}

// TestDetailMalformed: bad input gives a precise error, never a panic or a partial bill.
func TestDetailMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		text         string
		line         int
		column, want string
	}{
		{"required column missing", replace(fixtureDetail, "支付宝交易号,商户订单号,", "支付宝交易号,商户单号,"), 5, "商户订单号", "required column"},
		{"column twice", replace(fixtureDetail, "分润（元）,备注", "分润（元）,服务费(元)"), 5, "服务费(元)", "twice"},
		{"letters in an amount", replace(fixtureDetail, ",32.00,32.00,", ",3x.00,32.00,"), 6, "订单金额（元）", "not yuan"},
		{"three decimals", replace(fixtureDetail, ",32.00,32.00,", ",32.000,32.00,"), 6, "订单金额（元）", "not yuan"},
		{"bad thousands grouping", replace(fixtureDetail, ",1288.00,1288.00,", `,"12,88.00",1288.00,`), 7, "订单金额（元）", "not yuan"},
		{"empty amount", replace(fixtureDetail, ",32.00,32.00,", ",32.00,,"), 6, "商家实收（元）", "empty amount"},
		{"unknown 业务类型", replace(fixtureDetail, "A1\\t,交易", "A1\\t,转账"), 6, "业务类型", "neither"},
		{"negative trade", replace(fixtureDetail, ",32.00,32.00,", ",-32.00,-32.00,"), 6, "订单金额（元）", "negative"},
		{"positive refund", replace(fixtureDetail, ",-200.00,-200.00,", ",200.00,200.00,"), 9, "订单金额（元）", "positive"},
		{"bad time", replace(fixtureDetail, "2026-11-28 09:15:09", "2026-11-28 25:15:09"), 6, "完成时间", "time"},
		{"empty trade number", replace(fixtureDetail, "2026112822001412341000000001\\t,", "\\t,"), 6, "支付宝交易号", "empty"},
		{"extra cells", replace(fixtureDetail, "-0.19,0.00,\n", "-0.19,0.00,,x\n"), 6, "", "26 cells where the header has 25"},
		{"cut short", strings.Split(fixtureDetail, "#-----------------------------------------业务明细列表结束")[0], 0, "", "cut short"},
		{"data after the end", fixtureDetail + "1,2,交易,x,2026-11-28 09:15:02,2026-11-28 09:15:02,,,,,,1.00,1.00\n", 15, "", "after the end"},
		{"comment inside the list", replace(fixtureDetail, "-7.73,0.00,\n", "-7.73,0.00,\n#note\n"), 8, "", "inside"},
		{"footer count", replace(fixtureDetail, "#交易合计：4笔", "#交易合计：5笔"), 12, "", "交易合计 (rows) is 5 but the rows add up to 4"},
		{"footer amount", replace(fixtureDetail, "商家实收共1374.90元", "商家实收共1374.91元"), 12, "", "商家实收共 (fen) is 137491"},
		{"refund footer", replace(fixtureDetail, "商家实收退款共-200.00元", "商家实收退款共-20.00元"), 13, "", "商家实收退款共"},
		{"footer twice", replace(fixtureDetail, "#导出时间", "#交易合计：4笔\n#导出时间"), 14, "", "second 交易合计"},
		{"footer without count", replace(fixtureDetail, "#交易合计：4笔", "#交易合计：四笔"), 12, "", "no count"},
		{"footer bad amount", replace(fixtureDetail, "商家优惠共5.00元", "商家优惠共5..00元"), 12, "", "not yuan"},
		{"unterminated quote", replace(fixtureDetail, ",32.00,32.00,", `,"32.00,32.00,`), 6, "", "quote"},
		{"bad date range", replace(fixtureDetail, "终止日期：[2026年11月29日", "终止日期：[2026年13月29日"), 3, "", "终止日期"},
		{"range backwards", replace(fixtureDetail, "终止日期：[2026年11月29日", "终止日期：[2026年11月27日"), 3, "", "before"},
		{"account without value", replace(fixtureDetail, "[20881021234567890156]", "[]"), 2, "", "账号"},
		{"bad export time", replace(fixtureDetail, "[2026年11月29日 09:12:44]", "[yesterday]"), 14, "", "导出时间"},
		{"not a bill", "hello,world\n", 1, "支付宝交易号", "required column"},
		{"empty file", "", 0, "", "no header row"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustFail(t, gbk(t, render(c.text)), nil, c.line, c.column, c.want)
		})
	}
}
