package bill

import (
	"reflect"
	"testing"
)

func TestParseFen(t *testing.T) {
	t.Parallel()
	good := map[string]int64{"0.01": 1, "-0.01": -1, "+9.9": 990, "1288.00": 128800, "1,288.00": 128800,
		"-1,234,567.89": -123456789, "7": 700, "0": 0, "999999999999999.99": 99999999999999999}
	for in, want := range good {
		if got, ok := parseFen(in); !ok || got != want {
			t.Errorf("parseFen(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-", ".5", "1.", "1.234", "1e3", "1,23.00", ",123.00", "1,2345.00", "12,345,67.0",
		"1 000.00", "１.00", "0x10", "--1", "1000000000000000.00", "NaN", "1.-1"} {
		if got, ok := parseFen(in); ok {
			t.Errorf("parseFen(%q) = %d, want a refusal", in, got)
		}
	}
	if n, ok := parseCount("1,024"); !ok || n != 1024 {
		t.Errorf("parseCount(1,024) = %d %v", n, ok)
	}
	for _, in := range []string{"-1", "1.0", "1000000000", "x"} {
		if _, ok := parseCount(in); ok {
			t.Errorf("parseCount(%q) accepted", in)
		}
	}
}

func TestSplitCSV(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"a,b,,c":              {"a", "b", "", "c"},
		"":                    {""},
		"a\t,\tb\t":           {"a\t", "\tb\t"},
		`x,"1,288.00",y`:      {"x", "1,288.00", "y"},
		` "a""b" ,c`:          {`a"b`, "c"},
		`"a",`:                {"a", ""},
		`a"b,c`:               {`a"b`, "c"},
		`"#交易合计：4笔，共1,00元",,`: {"#交易合计：4笔，共1,00元", "", ""},
	}
	for in, want := range cases {
		if got, err := splitCSV(in); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitCSV(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`"a`, `"a"b,c`, `x,"y`, `"a""`} {
		if got, err := splitCSV(in); err == nil {
			t.Errorf("splitCSV(%q) = %q, want an error", in, got)
		}
	}
}

func TestCanonicalHeader(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"订单金额（元）", "订单金额(元)", " 订单金额 (元)\t", "订单金额", "\ufeff订单金额（元）"} {
		if got := canonicalHeader(in); got != "订单金额" {
			t.Errorf("canonicalHeader(%q) = %q", in, got)
		}
	}
	if got := canonicalHeader("退款批次号/请求号"); got != "退款批次号/请求号" {
		t.Errorf("got %q", got)
	}
}

func TestDecodeText(t *testing.T) {
	t.Parallel()
	for name, in := range map[string][]byte{
		"GBK":          gbk(t, "支付宝交易号"),
		"UTF-8":        []byte("支付宝交易号"),
		"BOM + UTF-8":  []byte("\ufeff支付宝交易号"),
		"BOM + GBK":    append([]byte{0xEF, 0xBB, 0xBF}, gbk(t, "支付宝交易号")...),
		"GB18030 only": {0x81, 0x30, 0x81, 0x30}, // U+0080, outside GBK: still decodes
	} {
		got, err := decodeText(in)
		if err != nil || (name != "GB18030 only" && got != "支付宝交易号") {
			t.Errorf("%s: %q %v", name, got, err)
		}
	}
}

func TestLabelled(t *testing.T) {
	t.Parallel()
	line := "#起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]"
	if v, ok := labelled(line, "起始日期"); !ok || v != "2019年09月16日 00:00:00" {
		t.Errorf("起始日期 = %q %v", v, ok)
	}
	if v, ok := labelled(line, "终止日期"); !ok || v != "2019年09月17日 00:00:00" {
		t.Errorf("终止日期 = %q %v", v, ok)
	}
	if v, ok := labelled("#账号: 2088  x", "账号"); !ok || v != "2088" {
		t.Errorf("unbracketed = %q %v", v, ok)
	}
	if _, ok := labelled("#账号：[2088", "账号"); ok {
		t.Error("an unclosed bracket was accepted")
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	long := "一二三四五六七八九十一二三四五六七八九十"
	if got := clip(long); len(got) > 43 || got[len(got)-3:] != "…" {
		t.Errorf("clip = %q", got)
	}
	if clip("short") != "short" {
		t.Error("short value clipped")
	}
}
