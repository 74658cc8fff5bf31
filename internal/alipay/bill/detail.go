package bill

import (
	"fmt"
	"strings"
)

// detailColumns are the 业务明细 columns the parser reads. The others (对方账户, 支付宝红包,
// 集分宝, 券…, 分润, and newer ones such as 实收净额 or 交易方式) are ignored.
var detailColumns = []column{
	{key: "trade_no", names: []string{"支付宝交易号"}, required: true},
	{key: "out_trade_no", names: []string{"商户订单号"}, required: true},
	{key: "kind", names: []string{"业务类型"}, required: true},
	{key: "subject", names: []string{"商品名称"}},
	{key: "created", names: []string{"创建时间"}, required: true},
	{key: "finished", names: []string{"完成时间"}, required: true},
	{key: "store_id", names: []string{"门店编号"}},
	{key: "store_name", names: []string{"门店名称"}},
	{key: "operator", names: []string{"操作员"}},
	{key: "terminal", names: []string{"终端号"}},
	{key: "amount", names: []string{"订单金额"}, required: true},
	{key: "received", names: []string{"商家实收"}, required: true},
	{key: "discount", names: []string{"商家优惠"}},
	{key: "refund_no", names: []string{"退款批次号/请求号", "退款批次号", "退款请求号"}},
	{key: "fee", names: []string{"服务费"}},
	{key: "remark", names: []string{"备注"}},
}

type section int

const (
	inHead section = iota // '#' header lines, then the header row
	inRows                // data rows, up to the end marker
	inFoot                // after 业务明细列表结束: totals and export time
)

// detailParser reads the detail file line by line.
type detailParser struct {
	file    string
	bill    *Bill
	h       *header
	at      section
	meta    meta
	footer  Totals
	printed footerLines
}

// footerLines records which footer figures the file printed, and where.
type footerLines struct {
	trade, refund                                                int // line numbers, 0 = absent
	tradeReceived, tradeDiscount, refundReceived, refundDiscount bool
}

func parseDetail(file string, data []byte) (*Bill, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, &FormatError{File: file, Msg: "not GBK text: " + err.Error()}
	}
	p := &detailParser{file: file, bill: &Bill{}}
	for i, l := range lines(text) {
		if err := p.line(i+1, l); err != nil {
			return nil, err
		}
	}
	return p.finish()
}

func (p *detailParser) line(n int, l string) error {
	if c, ok := commentText(l); ok {
		return p.comment(n, c)
	}
	if strings.Trim(l, " \t,\u3000") == "" {
		return nil // blank lines, or a spreadsheet's empty row
	}
	cells, err := splitCSV(l)
	if err != nil {
		return &FormatError{File: p.file, Line: n, Msg: err.Error()}
	}
	switch p.at {
	case inHead:
		p.h, err = readHeader(p.file, n, cells, detailColumns)
		p.at = inRows
		return err
	case inRows:
		row, err := p.row(n, cells)
		if err == nil {
			p.bill.Trades = append(p.bill.Trades, row)
		}
		return err
	}
	return &FormatError{File: p.file, Line: n, Msg: "data line after the end of the detail list"}
}

func (p *detailParser) comment(n int, c string) error {
	end := strings.Contains(c, "业务明细列表结束")
	switch {
	case p.at == inHead && end:
		p.at = inFoot // a day without trades may come without a header row
	case p.at == inHead:
		return p.meta.comment(p.file, n, c)
	case p.at == inRows && end:
		p.at = inFoot
	case p.at == inRows:
		return &FormatError{File: p.file, Line: n,
			Msg: "comment line inside the detail list: the end marker (业务明细列表结束) is missing or misplaced"}
	default:
		return p.footComment(n, c)
	}
	return nil
}

func (p *detailParser) footComment(n int, c string) error {
	bad := func(msg string) error { return &FormatError{File: p.file, Line: n, Msg: msg} }
	switch {
	case strings.Contains(c, "交易合计") && p.printed.trade > 0:
		return bad("a second 交易合计 line")
	case strings.Contains(c, "退款合计") && p.printed.refund > 0:
		return bad("a second 退款合计 line")
	case strings.Contains(c, "交易合计"):
		p.printed.trade = n
		return p.footLine(n, c, "交易合计", &p.footer.TradeCount, []footSum{
			{"商家实收共", &p.footer.TradeReceived, &p.printed.tradeReceived},
			{"商家优惠共", &p.footer.TradeDiscount, &p.printed.tradeDiscount}})
	case strings.Contains(c, "退款合计"):
		p.printed.refund = n
		return p.footLine(n, c, "退款合计", &p.footer.RefundCount, []footSum{
			{"商家实收退款共", &p.footer.RefundReceived, &p.printed.refundReceived},
			{"商家优惠退款共", &p.footer.RefundDiscount, &p.printed.refundDiscount}})
	case strings.Contains(c, "导出时间"):
		return p.meta.exportTime(p.file, n, c)
	}
	return nil
}

// footSum is one "label共X元" figure of a footer line.
type footSum struct {
	label   string
	fen     *int64
	printed *bool
}

// footLine reads "#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元" (or the 退款 line).
func (p *detailParser) footLine(n int, c, label string, count *int, sums []footSum) error {
	_, after, _ := strings.Cut(c, label)
	v, _, found := strings.Cut(strings.TrimLeft(after, "：: "), "笔")
	rows, ok := parseCount(strings.TrimSpace(v))
	if !found || !ok {
		return &FormatError{File: p.file, Line: n, Msg: fmt.Sprintf("%s: no count of 笔", label)}
	}
	*count = rows
	for _, s := range sums {
		v, found := between(c, s.label)
		if !found {
			continue
		}
		fen, ok := parseFen(v)
		if !ok {
			return &FormatError{File: p.file, Line: n, Msg: fmt.Sprintf("%s: amount %q is not yuan", s.label, clip(v))}
		}
		*s.fen, *s.printed = fen, true
	}
	return nil
}

// row reads one detail row and checks what a bill promises: a known 业务类型, both times,
// and amounts signed as the kind says (trades positive, refunds negative).
func (p *detailParser) row(n int, cells []string) (Row, error) {
	r := newRecord(p.h, n, cells)
	row := Row{Line: n, TradeNo: r.need("trade_no"), OutTradeNo: r.str("out_trade_no"),
		Subject: r.str("subject"), StoreID: r.str("store_id"), StoreName: r.str("store_name"),
		Operator: r.str("operator"), TerminalID: r.str("terminal"), RefundNo: r.str("refund_no"),
		Remark: r.str("remark")}
	switch k := r.need("kind"); k {
	case "交易":
		row.Kind = KindTrade
	case "退款":
		row.Kind = KindRefund
	case "":
	default:
		r.fail("kind", fmt.Sprintf("业务类型 %q is neither 交易 nor 退款", clip(k)))
	}
	row.CreatedAt, row.FinishedAt = r.time("created"), r.time("finished")
	row.Amount, row.Received = r.fen("amount", true), r.fen("received", true)
	row.Discount, row.Fee = r.fen("discount", false), r.fen("fee", false)
	switch {
	case r.err != nil:
	case row.Kind == KindTrade && (row.Amount < 0 || row.Received < 0):
		r.fail("amount", "a trade (交易) with a negative amount")
	case row.Kind == KindRefund && (row.Amount > 0 || row.Received > 0):
		r.fail("amount", "a refund (退款) with a positive amount")
	}
	return row, r.err
}

// finish checks the file was complete and its rows add up to its own footer.
func (p *detailParser) finish() (*Bill, error) {
	switch p.at {
	case inHead:
		return nil, &FormatError{File: p.file, Msg: "no header row (支付宝交易号,商户订单号,…): not a 业务明细 file"}
	case inRows:
		return nil, &FormatError{File: p.file, Msg: "no end marker (业务明细列表结束): the file is cut short"}
	}
	b := p.bill
	b.Account, b.From, b.To, b.ExportedAt = p.meta.account, p.meta.from, p.meta.to, p.meta.exported
	b.DetailTotals = sum(b.Trades)
	if p.printed.trade == 0 && p.printed.refund == 0 {
		return b, nil
	}
	footer := p.footer
	b.Footer = &footer
	got, pr := b.DetailTotals, p.printed
	// Without a 商家优惠 column the rows cannot be held to the footer's discount figures.
	hasDiscount := p.h == nil
	if p.h != nil {
		_, hasDiscount = p.h.index["discount"]
	}
	checks := []struct {
		line      int
		on        bool
		what      string
		want, got int64
	}{
		{pr.trade, pr.trade > 0, "交易合计 (rows)", int64(footer.TradeCount), int64(got.TradeCount)},
		{pr.trade, pr.tradeReceived, "商家实收共 (fen)", footer.TradeReceived, got.TradeReceived},
		{pr.trade, pr.tradeDiscount && hasDiscount, "商家优惠共 (fen)", footer.TradeDiscount, got.TradeDiscount},
		{pr.refund, pr.refund > 0, "退款合计 (rows)", int64(footer.RefundCount), int64(got.RefundCount)},
		{pr.refund, pr.refundReceived, "商家实收退款共 (fen)", footer.RefundReceived, got.RefundReceived},
		{pr.refund, pr.refundDiscount && hasDiscount, "商家优惠退款共 (fen)", footer.RefundDiscount, got.RefundDiscount},
	}
	for _, c := range checks {
		if c.on && c.want != c.got {
			return nil, &FormatError{File: p.file, Line: c.line,
				Msg: fmt.Sprintf("%s is %d but the rows add up to %d", c.what, c.want, c.got)}
		}
	}
	return b, nil
}

// sum adds up the rows.
func sum(rows []Row) Totals {
	var t Totals
	for _, r := range rows {
		t.Fee += r.Fee
		if r.Kind == KindTrade {
			t.TradeCount++
			t.TradeAmount += r.Amount
			t.TradeReceived += r.Received
			t.TradeDiscount += r.Discount
		} else {
			t.RefundCount++
			t.RefundAmount += r.Amount
			t.RefundReceived += r.Received
			t.RefundDiscount += r.Discount
		}
	}
	return t
}
