package bill

import (
	"fmt"
	"strings"
	"time"
)

// meta is what the '#' lines of both files say about the bill.
type meta struct {
	account       string
	from, to      time.Time
	exported      time.Time
	sawAccount    bool
	sawDates      bool
	sawExportedAt bool
}

// comment reads the 账号 and 起始日期/终止日期 lines shared by both files. The other
// header comments (the title, the list marker) carry nothing to keep.
func (m *meta) comment(file string, n int, c string) error {
	bad := func(msg string) error { return &FormatError{File: file, Line: n, Msg: msg} }
	switch {
	case strings.Contains(c, "账号"):
		v, ok := labelled(c, "账号")
		if !ok || v == "" || m.sawAccount {
			return bad("账号 line without a single [account]")
		}
		m.account, m.sawAccount = v, true
	case strings.Contains(c, "起始日期"):
		if m.sawDates {
			return bad("a second 起始日期 line")
		}
		from, ok1 := labelled(c, "起始日期")
		to, ok2 := labelled(c, "终止日期")
		var ok3, ok4 bool
		m.from, ok3 = parseTime(from, headTimeLayouts)
		m.to, ok4 = parseTime(to, headTimeLayouts)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return bad(fmt.Sprintf("起始日期/终止日期 not [yyyy年MM月dd日 HH:mm:ss]: %q", clip(c)))
		}
		if m.to.Before(m.from) {
			return bad("终止日期 is before 起始日期")
		}
		m.sawDates = true
	}
	return nil
}

// exportTime reads "#导出时间：[2019年09月17日 05:46:49]".
func (m *meta) exportTime(file string, n int, c string) error {
	v, ok := labelled(c, "导出时间")
	t, ok2 := parseTime(v, headTimeLayouts)
	if !ok || !ok2 || m.sawExportedAt {
		return &FormatError{File: file, Line: n, Msg: fmt.Sprintf("导出时间 not a single [yyyy年MM月dd日 HH:mm:ss]: %q", clip(c))}
	}
	m.exported, m.sawExportedAt = t, true
	return nil
}
