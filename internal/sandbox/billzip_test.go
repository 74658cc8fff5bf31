package sandbox

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// billFiles unzips a bill, decoding the GBK file names and contents.
func billFiles(t *testing.T, zipBytes []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		if !f.NonUTF8 {
			t.Errorf("%q carries the UTF-8 flag; Alipay's names are GBK", f.Name)
		}
		name, err := simplifiedchinese.GBK.NewDecoder().String(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(rc)
		rc.Close()
		text, err := simplifiedchinese.GBK.NewDecoder().Bytes(raw)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(text)
	}
	return out
}

// yuan parses a bill amount ("-0.05", "12.50") to fen.
func yuan(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	v, ok := parseAmount(strings.TrimPrefix(s, "-"))
	if !ok && s != "0.00" && s != "-0.00" {
		t.Fatalf("bad amount %q", s)
	}
	if neg {
		return -v
	}
	return v
}

var tabbedDetailCells = []int{0, 1, 2, 6, 7, 8, 9, 10, 19, 21}

// checkDetail checks every line of a 业务明细 file and returns its rows (fields without
// the trailing tabs) and the totals it states, checking that the rows add up to them.
func checkDetail(t *testing.T, text, account, dateLine string) [][]string {
	t.Helper()
	lines := checkHead(t, text, billDetailTitle, account, dateLine, billDetailStart, billDetailHeader)
	if n := len(strings.Split(billDetailHeader, ",")); n != 25 {
		t.Fatalf("header has %d columns", n)
	}
	end := len(lines) - 4
	if lines[end] != billDetailEnd {
		t.Fatalf("end marker: %q", lines[end])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(lines[5:end], "\n"))).ReadAll()
	if err != nil && end > 5 {
		t.Fatal(err)
	}
	var tradeN, refundN int
	var paid, refunded int64
	for _, rec := range recs {
		untab(t, rec)
		amount, fee := yuan(t, rec[11]), yuan(t, rec[22])
		if rec[12] != rec[11] {
			t.Fatalf("商家实收 %s != 订单金额 %s", rec[12], rec[11])
		}
		switch rec[2] {
		case "交易":
			tradeN++
			paid += amount
			if want := -((amount*6 + 500) / 1000); fee != want || rec[21] != "" {
				t.Fatalf("trade row %q: fee %d, want %d", rec, fee, want)
			}
		case "退款":
			refundN++
			refunded += amount
			if amount >= 0 || fee != 0 || rec[21] == "" {
				t.Fatalf("refund row %q", rec)
			}
		default:
			t.Fatalf("业务类型 %q", rec[2])
		}
	}
	wantTotals := []string{
		"#交易合计：" + strconv.Itoa(tradeN) + "笔，商家实收共" + signedFen(paid) + "元，商家优惠共0.00元",
		"#退款合计：" + strconv.Itoa(refundN) + "笔，商家实收退款共" + signedFen(refunded) + "元，商家优惠退款共0.00元",
	}
	if lines[end+1] != wantTotals[0] || lines[end+2] != wantTotals[1] {
		t.Fatalf("totals %q %q, want %q", lines[end+1], lines[end+2], wantTotals)
	}
	if !regexp.MustCompile(`^#导出时间：\[\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}:\d{2}\]$`).MatchString(lines[end+3]) {
		t.Fatalf("export line %q", lines[end+3])
	}
	return recs
}

// checkHead splits a bill file into lines and checks its five opening lines.
func checkHead(t *testing.T, text, title, account, dateLine, start, header string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i, want := range []string{title, "#账号：[" + account + "]", dateLine, start, header} {
		if lines[i] != want {
			t.Fatalf("line %d: %q, want %q", i, lines[i], want)
		}
	}
	return lines
}

// untab checks a detail row's width and Alipay's trailing tabs, and strips them.
func untab(t *testing.T, rec []string) {
	t.Helper()
	if len(rec) != 25 {
		t.Fatalf("row has %d cells: %q", len(rec), rec)
	}
	for _, i := range tabbedDetailCells {
		if !strings.HasSuffix(rec[i], "\t") {
			t.Fatalf("cell %d of %q lacks Alipay's trailing tab", i, rec)
		}
		rec[i] = strings.TrimSuffix(rec[i], "\t")
	}
}

// checkSummary checks the (汇总) file against the detail rows: per store and in total.
func checkSummary(t *testing.T, text, account, dateLine string, rows [][]string) {
	t.Helper()
	lines := checkHead(t, text, billSummaryTitle, account, dateLine, billSummaryStart, billSummaryHeader)
	if lines[len(lines)-2] != billSummaryEnd || !strings.HasPrefix(lines[len(lines)-1], "#导出时间：[") {
		t.Fatalf("summary tail %q", lines[len(lines)-2:])
	}
	sum := map[string][4]int64{} // store → trades, refunds, net, fee
	for _, r := range rows {
		for _, k := range []string{r[6], "合计"} {
			s := sum[k]
			if r[2] == "交易" {
				s[0]++
			} else {
				s[1]++
			}
			s[2] += yuan(t, r[11])
			s[3] += yuan(t, r[22])
			sum[k] = s
		}
	}
	body, err := csv.NewReader(strings.NewReader(strings.Join(lines[5:len(lines)-2], "\n"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := max(len(sum), 1); len(body) != want { // stores + 合计; an empty day has 合计 only
		t.Fatalf("summary has %d rows for %d stores+total", len(body), len(sum))
	}
	for _, rec := range body {
		store := strings.TrimSuffix(rec[0], "\t")
		s := sum[store]
		got := []string{rec[2], rec[3], rec[4], rec[5], rec[9], rec[11]}
		want := []string{strconv.FormatInt(s[0], 10), strconv.FormatInt(s[1], 10), signedFen(s[2]), signedFen(s[2]),
			signedFen(s[3]), signedFen(s[2] + s[3])}
		if len(rec) != 12 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("summary row %q: %v, want %v", rec, got, want)
		}
	}
}

// TestServiceFeeRoundsHalfUp pins the fee rule: 0.6 % rounded half up to the fen.
func TestServiceFeeRoundsHalfUp(t *testing.T) {
	for amount, want := range map[int64]int64{1: 0, 83: 0, 84: 1, 125: 1, 750: 5, 1250: 8, 29500: 177, 100000: 600} {
		if got := serviceFee(amount); got != want {
			t.Errorf("fee of %d fen: %d, want %d", amount, got, want)
		}
	}
}
