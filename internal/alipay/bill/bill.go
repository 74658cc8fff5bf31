package bill

import (
	"errors"
	"fmt"
	"time"
)

// Kind says whether a detail row is a payment or a refund (the bill's 业务类型).
type Kind string

// The two kinds of detail rows.
const (
	KindTrade  Kind = "trade"  // 交易
	KindRefund Kind = "refund" // 退款
)

// Bill is one parsed daily trade bill.
type Bill struct {
	Account    string    // 账号, e.g. "20880211096256330156" (the partner id and "0156")
	From, To   time.Time // 起始日期 and 终止日期 (To is exclusive: the next midnight); zero if absent
	ExportedAt time.Time // 导出时间; zero if absent
	Trades     []Row     // every detail row, trades and refunds, in file order

	// DetailTotals are computed from Trades. When the footer is present they equal it: Parse
	// refuses a bill whose rows disagree with its own 交易合计/退款合计 lines.
	DetailTotals Totals
	// Footer is what the 交易合计/退款合计 lines print (counts, 商家实收, 商家优惠 only), or
	// nil when the file has neither line; the figures of a line it lacks are 0.
	Footer *Totals
	// Summary is the (汇总) file, or nil when the zip has none.
	Summary *Summary
}

// Row is one line of the detail list. Amounts are fen, signed as the bill prints them:
// positive for trades, negative for refunds; Fee is negative when Alipay charges it.
// The buyer's account (对方账户) is deliberately not kept: it is personal data that
// reconciliation does not need.
type Row struct {
	Line       int       // line number in the detail file, from 1
	TradeNo    string    // 支付宝交易号
	OutTradeNo string    // 商户订单号; may be empty for a trade made outside any merchant system
	Kind       Kind      // 业务类型
	Subject    string    // 商品名称
	CreatedAt  time.Time // 创建时间 (of the trade, also on its refunds)
	FinishedAt time.Time // 完成时间 (payment or refund time)
	StoreID    string    // 门店编号
	StoreName  string    // 门店名称
	Operator   string    // 操作员
	TerminalID string    // 终端号
	Amount     int64     // 订单金额
	Received   int64     // 商家实收
	Discount   int64     // 商家优惠 (0 when the column is absent)
	Fee        int64     // 服务费 (0 when absent)
	RefundNo   string    // 退款批次号/请求号: the refund's out_request_no, empty on trades
	Remark     string    // 备注
}

// Totals are a day's counts and sums in fen.
type Totals struct {
	TradeCount     int
	TradeAmount    int64 // 订单金额 of the trades (not printed in the footer)
	TradeReceived  int64 // 商家实收 of the trades (footer: 商家实收共)
	TradeDiscount  int64 // 商家优惠 of the trades (footer: 商家优惠共)
	RefundCount    int
	RefundAmount   int64 // 订单金额 of the refunds, negative (not printed in the footer)
	RefundReceived int64 // 商家实收 of the refunds, negative (footer: 商家实收退款共)
	RefundDiscount int64 // footer: 商家优惠退款共
	Fee            int64 // 服务费 of all rows (not printed in the footer)
}

// Summary is the (汇总) file: one row per store and the 合计 row, which Parse has checked
// to be their sum.
type Summary struct {
	Account  string
	From, To time.Time
	Rows     []SummaryRow
	Total    SummaryRow
}

// SummaryRow is one line of the summary file. Absent optional columns read as 0.
type SummaryRow struct {
	Line             int    // line number in the summary file, from 1
	StoreID          string // 门店编号 ("合计" on the total row)
	StoreName        string // 门店名称
	TradeCount       int    // 交易订单总笔数
	RefundCount      int    // 退款订单总笔数
	Amount           int64  // 订单金额
	Received         int64  // 商家实收
	AlipayDiscount   int64  // 支付宝优惠
	MerchantDiscount int64  // 商家优惠
	CardAmount       int64  // 卡消费金额
	Fee              int64  // 服务费
	Share            int64  // 分润
	Net              int64  // 实收净额
}

// ErrFormat is matched (errors.Is) by every error Parse and ParseFiles return.
var ErrFormat = errors.New("malformed Alipay bill")

// FormatError says what is wrong with a bill and where.
type FormatError struct {
	File   string // the file inside the zip ("zip" for the archive itself)
	Line   int    // from 1; 0 when the problem is not on one line
	Column string // the header name as printed; "" when not about one cell
	Msg    string
}

// Error renders "file line N, column C: msg".
func (e *FormatError) Error() string {
	s := "alipay bill " + e.File
	if e.Line > 0 {
		s += fmt.Sprintf(" line %d", e.Line)
	}
	if e.Column != "" {
		s += ", column " + e.Column
	}
	return s + ": " + e.Msg
}

// Is makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// Parse reads a bill zip as Alipay serves it. It fails with a *FormatError (ErrFormat)
// when the archive, a file or a line is malformed, when the zip holds no detail file or
// two of a kind, or when the rows disagree with the footer or the summary's 合计 with its
// store rows.
func Parse(zipData []byte) (*Bill, error) {
	f, err := openZip(zipData)
	if err != nil {
		return nil, err
	}
	return parse(f)
}

// ParseFiles parses the two CSV files of a bill already taken out of the zip; summary may
// be nil. Errors as Parse.
func ParseFiles(detail, summary []byte) (*Bill, error) {
	f := files{detailName: "业务明细.csv", detail: detail}
	if summary != nil {
		f.summaryName, f.summary, f.hasSummary = "业务明细(汇总).csv", summary, true
	}
	return parse(f)
}

func parse(f files) (*Bill, error) {
	b, err := parseDetail(f.detailName, f.detail)
	if err != nil {
		return nil, err
	}
	if !f.hasSummary {
		return b, nil
	}
	s, err := parseSummary(f.summaryName, f.summary)
	if err != nil {
		return nil, err
	}
	if s.Account != "" && b.Account != "" && s.Account != b.Account {
		return nil, &FormatError{File: f.summaryName, Msg: fmt.Sprintf("account %s differs from the detail file's %s", s.Account, b.Account)}
	}
	if !s.From.IsZero() && !b.From.IsZero() && (!s.From.Equal(b.From) || !s.To.Equal(b.To)) {
		return nil, &FormatError{File: f.summaryName, Msg: "date range differs from the detail file's"}
	}
	b.Summary = s
	return b, nil
}
