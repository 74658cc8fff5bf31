package bill

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// shanghai is the zone of every time in a bill. It is loaded by name so times print as
// Asia/Shanghai; the fixed +08:00 fallback is exact too (no DST since 1991) for hosts
// whose binary lacks time/tzdata.
var shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeText turns a bill file into UTF-8. Alipay writes GBK; a file re-saved by an
// editor may be UTF-8, with or without a BOM. GBK Chinese is practically never valid
// UTF-8, so validity decides. GB18030 is used to decode: it is a superset of GBK.
func decodeText(b []byte) (string, error) {
	if rest, ok := bytes.CutPrefix(b, utf8BOM); ok {
		b = rest
	}
	if utf8.Valid(b) {
		return string(b), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// lines splits text at LF, dropping a CR before it, so CRLF and LF files read alike.
func lines(text string) []string {
	ls := strings.Split(text, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	return ls
}

// commentText returns the text of a '#' line, or false for a data line. A spreadsheet
// re-save may quote it or pad it with empty cells; both are undone.
func commentText(line string) (string, bool) {
	s := strings.TrimLeft(line, " \t\ufeff")
	s = strings.TrimPrefix(s, `"`)
	if !strings.HasPrefix(s, "#") {
		return "", false
	}
	s = strings.TrimRight(s, " \t,")
	return strings.TrimSuffix(s, `"`), true
}

var errQuote = errors.New("unterminated or misplaced quote")

// splitCSV splits one line into cells: comma-separated, a cell may be double-quoted
// (with "" for a quote), as a spreadsheet writes amounts that contain thousands separators.
func splitCSV(line string) ([]string, error) {
	var cells []string
	for {
		s := strings.TrimLeft(line, " \t")
		if !strings.HasPrefix(s, `"`) {
			cell, rest, more := strings.Cut(line, ",")
			cells = append(cells, cell)
			if !more {
				return cells, nil
			}
			line = rest
			continue
		}
		var sb strings.Builder
		i := 1
		for {
			j := strings.IndexByte(s[i:], '"')
			if j < 0 {
				return nil, errQuote
			}
			sb.WriteString(s[i : i+j])
			i += j + 1
			if i < len(s) && s[i] == '"' {
				sb.WriteByte('"')
				i++
				continue
			}
			break
		}
		cells = append(cells, sb.String())
		rest := strings.TrimLeft(s[i:], " \t")
		if rest == "" {
			return cells, nil
		}
		if rest[0] != ',' {
			return nil, errQuote
		}
		line = rest[1:]
	}
}

// cleanCell drops the padding Alipay leaves around values (a trailing tab after every
// identifier, spaces, ideographic spaces).
func cleanCell(s string) string { return strings.Trim(s, " \t\u3000\u00a0\ufeff") }

// canonicalHeader folds the spellings a column name appears in: full-width or half-width
// parentheses, spaces, and a "(元)" unit suffix.
func canonicalHeader(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '（':
			return '('
		case '）':
			return ')'
		case ' ', '\t', '\u3000', '\u00a0', '\ufeff', '"':
			return -1
		}
		return r
	}, s)
	return strings.TrimSuffix(s, "(元)")
}

// parseFen reads a yuan amount with at most two decimals as fen: "-1,234.50" → -123450.
// A sign, thousands separators in groups of three, and 15 integer digits at most.
func parseFen(s string) (int64, bool) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, false
			}
		}
		intPart = strings.Join(groups, "")
	}
	if len(intPart) < 1 || len(intPart) > 15 || !digits(intPart) {
		return 0, false
	}
	if hasDot && (len(frac) < 1 || len(frac) > 2 || !digits(frac)) {
		return 0, false
	}
	yuan, _ := strconv.ParseInt(intPart, 10, 64) // ≤ 15 digits: cannot fail or overflow
	frac += "00"[len(frac):]
	fen := yuan*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if neg {
		fen = -fen
	}
	return fen, true
}

// parseCount reads a non-negative count (≤ 9 digits, thousands separators allowed).
func parseCount(s string) (int, bool) {
	fen, ok := parseFen(s)
	if !ok || fen < 0 || fen%100 != 0 || strings.Contains(s, ".") || fen/100 > 999_999_999 {
		return 0, false
	}
	return int(fen / 100), true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// rowTimeLayouts are the spellings of 创建时间/完成时间: Alipay's, and a spreadsheet's.
var rowTimeLayouts = []string{"2006-01-02 15:04:05", "2006/1/2 15:04:05"}

// headTimeLayouts are the spellings of the 起始日期/终止日期/导出时间 values.
var headTimeLayouts = []string{"2006年01月02日 15:04:05", "2006-01-02 15:04:05", "2006年01月02日", "2006-01-02"}

func parseTime(s string, layouts []string) (time.Time, bool) {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, shanghai); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// labelled returns the value after "label：" in a comment line: the text inside [ ] when
// it is bracketed, else up to the next run of spaces. ok is false when the label is absent.
func labelled(line, label string) (string, bool) {
	_, after, found := strings.Cut(line, label)
	if !found {
		return "", false
	}
	after = strings.TrimLeft(after, "：: \t")
	if rest, ok := strings.CutPrefix(after, "["); ok {
		v, _, closed := strings.Cut(rest, "]")
		return strings.TrimSpace(v), closed
	}
	if i := strings.Index(after, "  "); i >= 0 {
		after = after[:i]
	}
	return strings.TrimSpace(after), true
}

// between returns the text after prefix and before "元" (footer sums such as
// "商家实收共0.06元").
func between(line string, prefix string) (string, bool) {
	_, after, found := strings.Cut(line, prefix)
	if !found {
		return "", false
	}
	v, _, ok := strings.Cut(after, "元")
	return strings.TrimSpace(v), ok
}
