package bill

import (
	"fmt"
	"strings"
)

// summaryColumns are the 业务汇总 columns; the 合计 row is the one whose first cell says so.
var summaryColumns = []column{
	{key: "store_id", names: []string{"门店编号"}},
	{key: "store_name", names: []string{"门店名称"}},
	{key: "trades", names: []string{"交易订单总笔数"}, required: true},
	{key: "refunds", names: []string{"退款订单总笔数"}, required: true},
	{key: "amount", names: []string{"订单金额"}, required: true},
	{key: "received", names: []string{"商家实收"}, required: true},
	{key: "alipay_discount", names: []string{"支付宝优惠"}},
	{key: "merchant_discount", names: []string{"商家优惠"}},
	{key: "card", names: []string{"卡消费金额"}},
	{key: "fee", names: []string{"服务费"}, required: true},
	{key: "share", names: []string{"分润"}},
	{key: "net", names: []string{"实收净额"}},
}

// summaryParser reads the (汇总) file line by line.
type summaryParser struct {
	file     string
	s        *Summary
	h        *header
	at       section
	meta     meta
	hasTotal bool
}

func parseSummary(file string, data []byte) (*Summary, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, &FormatError{File: file, Msg: "not GBK text: " + err.Error()}
	}
	p := &summaryParser{file: file, s: &Summary{}}
	for i, l := range lines(text) {
		if err := p.line(i+1, l); err != nil {
			return nil, err
		}
	}
	return p.finish()
}

func (p *summaryParser) line(n int, l string) error {
	bad := func(msg string) error { return &FormatError{File: p.file, Line: n, Msg: msg} }
	if c, ok := commentText(l); ok {
		end := strings.Contains(c, "汇总列表结束")
		switch {
		case p.at == inHead:
			return p.meta.comment(p.file, n, c)
		case p.at == inRows && end:
			p.at = inFoot
		case p.at == inRows:
			return bad("comment line inside the summary list: the end marker (业务汇总列表结束) is missing or misplaced")
		case strings.Contains(c, "导出时间"):
			return p.meta.exportTime(p.file, n, c)
		}
		return nil
	}
	if strings.Trim(l, " \t,\u3000") == "" {
		return nil
	}
	cells, err := splitCSV(l)
	if err != nil {
		return bad(err.Error())
	}
	switch p.at {
	case inHead:
		p.h, err = readHeader(p.file, n, cells, summaryColumns)
		p.at = inRows
		return err
	case inRows:
		return p.row(n, cells)
	}
	return bad("data line after the end of the summary list")
}

func (p *summaryParser) row(n int, cells []string) error {
	if p.hasTotal {
		return &FormatError{File: p.file, Line: n, Msg: "a row after the 合计 row"}
	}
	r := newRecord(p.h, n, cells)
	row := SummaryRow{Line: n, StoreID: r.str("store_id"), StoreName: r.str("store_name"),
		TradeCount: r.count("trades"), RefundCount: r.count("refunds"),
		Amount: r.fen("amount", true), Received: r.fen("received", true),
		AlipayDiscount: r.fen("alipay_discount", false), MerchantDiscount: r.fen("merchant_discount", false),
		CardAmount: r.fen("card", false), Fee: r.fen("fee", true), Share: r.fen("share", false),
		Net: r.fen("net", false)}
	if r.err != nil {
		return r.err
	}
	if row.StoreID == "合计" || (len(cells) > 0 && cleanCell(cells[0]) == "合计") {
		p.s.Total, p.hasTotal = row, true
		return nil
	}
	p.s.Rows = append(p.s.Rows, row)
	return nil
}

// finish checks the file was complete and its 合计 row is the sum of the store rows.
func (p *summaryParser) finish() (*Summary, error) {
	bad := func(line int, msg string) (*Summary, error) {
		return nil, &FormatError{File: p.file, Line: line, Msg: msg}
	}
	switch {
	case p.at == inHead:
		return bad(0, "no header row (门店编号,门店名称,交易订单总笔数,…): not a 业务明细(汇总) file")
	case p.at == inRows:
		return bad(0, "no end marker (业务汇总列表结束): the file is cut short")
	case !p.hasTotal:
		return bad(0, "no 合计 row")
	}
	s := p.s
	s.Account, s.From, s.To = p.meta.account, p.meta.from, p.meta.to
	total := []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, r := range s.Rows {
		for i, v := range summaryFigures(r) {
			total[i] += v
		}
	}
	for i, v := range summaryFigures(s.Total) {
		if v != total[i] {
			return bad(s.Total.Line, fmt.Sprintf("合计 %s is %d but the store rows add up to %d", summaryFigureNames[i], v, total[i]))
		}
	}
	return s, nil
}

var summaryFigureNames = []string{"交易订单总笔数", "退款订单总笔数", "订单金额 (fen)", "商家实收 (fen)",
	"支付宝优惠 (fen)", "商家优惠 (fen)", "卡消费金额 (fen)", "服务费 (fen)", "分润 (fen)", "实收净额 (fen)"}

func summaryFigures(r SummaryRow) []int64 {
	return []int64{int64(r.TradeCount), int64(r.RefundCount), r.Amount, r.Received, r.AlipayDiscount,
		r.MerchantDiscount, r.CardAmount, r.Fee, r.Share, r.Net}
}
