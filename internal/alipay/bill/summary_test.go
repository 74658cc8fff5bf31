package bill

import (
	"strings"
	"testing"
)

// TestSummaryVariations: the summary is read by column name too, in any spelling.
func TestSummaryVariations(t *testing.T) {
	t.Parallel()
	detail := gbk(t, render(fixtureDetail))
	reversed := make([]int, 12)
	for i := range reversed {
		reversed[i] = 11 - i
	}
	for name, text := range map[string]string{
		"reversed, 合计 not first": permute(fixtureSummary, reversed),
		"half-width, no unit":    replace(fixtureSummary, "（元）", ""),
		"thousands":              replace(fixtureSummary, ",1120.00,1120.00,", `,"1,120.00","1,120.00",`),
		"optional columns gone":  permute(fixtureSummary, []int{0, 2, 3, 4, 5, 9}),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := ParseFiles(detail, gbk(t, render(text)))
			if err != nil {
				t.Fatal(err)
			}
			s := b.Summary
			if len(s.Rows) != 2 || s.Total.Amount != 117990 || s.Total.Fee != -705 || s.Total.TradeCount != 4 || s.Rows[0].Amount != 112000 {
				t.Errorf("summary %+v", s)
			}
		})
	}
}

// TestSummaryMalformed: a summary that does not add up, or is cut short, is refused.
func TestSummaryMalformed(t *testing.T) {
	t.Parallel()
	detail := gbk(t, render(fixtureDetail))
	end := "#----------------------------------------业务汇总列表结束-------------------------------------\n"
	cases := []struct {
		name         string
		text         string
		line         int
		column, want string
	}{
		{"合计 off by a fen", replace(fixtureSummary, "合计,,4,1,1179.90", "合计,,4,1,1179.91"), 8, "", "合计 订单金额 (fen) is 117991"},
		{"合计 count", replace(fixtureSummary, "合计,,4,1,", "合计,,5,1,"), 8, "", "交易订单总笔数"},
		{"no 合计", replace(fixtureSummary, "合计,,4,1,1179.90,1174.90,0.00,5.00,0.00,-7.05,0.00,1167.85\n", ""), 0, "", "no 合计"},
		{"row after 合计", replace(fixtureSummary, end, "X\\t,x\\t,0,0,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00\n"+end), 9, "", "after the 合计"},
		{"end marker missing", replace(fixtureSummary, end, ""), 9, "", "end marker (业务汇总列表结束) is missing"},
		{"cut short", strings.Split(fixtureSummary, end)[0], 0, "", "cut short"},
		{"fractional count", replace(fixtureSummary, "NJ001\\t,南京西路店\\t,2,1,", "NJ001\\t,南京西路店\\t,2.5,1,"), 6, "交易订单总笔数", "whole number"},
		{"fee column missing", replace(fixtureSummary, "服务费（元）", "手续费"), 5, "服务费", "required column"},
		{"other account", replace(fixtureSummary, "[20881021234567890156]", "[20889999999999990156]"), 0, "", "account"},
		{"other day", replace(fixtureSummary, "[2026年11月28日 00:00:00]", "[2026年11月27日 00:00:00]"), 0, "", "date range"},
		{"data after the end", fixtureSummary + "a,b\n", 11, "", "after the end"},
		{"detail passed as summary", fixtureDetail, 5, "交易订单总笔数", "required column"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mustFail(t, detail, gbk(t, render(c.text)), c.line, c.column, c.want)
		})
	}
}

// TestSummaryEmptyDay: a day without trades still has its 合计 row, of zeros.
func TestSummaryEmptyDay(t *testing.T) {
	t.Parallel()
	ls := strings.Split(fixtureSummary, "\n")
	text := strings.Join(append(ls[:5:5], "合计,,0,0,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00", ls[8], ls[9], ""), "\n")
	s, err := parseSummary("s.csv", gbk(t, render(text)))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 0 || s.Total.TradeCount != 0 || s.Total.Line != 6 {
		t.Errorf("empty summary %+v", s)
	}
}
