package payment

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	_ "time/tzdata" // the bill's day is Beijing time on any host, zoneinfo or not
)

// beijing is the zone of Alipay's bills: a day's bill covers 00:00 to 24:00 Beijing time.
var beijing = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}()

// Beijing returns Asia/Shanghai, the zone of Alipay's bills and of reconcile.at.
func Beijing() *time.Location { return beijing }

// BillDay is one calendar day in Beijing time, written "2006-01-02": the day of an Alipay
// trade bill and of a reconciliation.
type BillDay string

// ParseBillDay reads "2006-01-02". Errors: INVALID_PARAMETER.
func ParseBillDay(s string) (BillDay, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, beijing)
	if err != nil || t.Format(time.DateOnly) != s {
		return "", Errorf(CodeInvalidParameter, "date %q: want YYYY-MM-DD", truncate(s, 32))
	}
	return BillDay(s), nil
}

// BillDayOf is the Beijing day that t falls on.
func BillDayOf(t time.Time) BillDay { return BillDay(t.In(beijing).Format(time.DateOnly)) }

// Start is the day's first instant (00:00 Beijing time).
func (d BillDay) Start() time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, string(d), beijing)
	return t
}

// End is the next day's first instant: the day is [Start, End).
func (d BillDay) End() time.Time { return d.Start().AddDate(0, 0, 1) }

// AddDays is the day n days later (earlier when n < 0).
func (d BillDay) AddDays(n int) BillDay { return BillDayOf(d.Start().AddDate(0, 0, n)) }

// BillRowKind says whether a bill row is a payment (业务类型 交易) or a refund (退款).
type BillRowKind string

// Bill row kinds.
const (
	BillTrade  BillRowKind = "trade"
	BillRefund BillRowKind = "refund"
)

// BillRow is one row of the bill's detail list. Amounts are positive for trades and
// refunds alike (a refund's Amount is the money returned); Fee keeps the bill's sign:
// negative when Alipay charges it, positive when a refund gives it back.
type BillRow struct {
	Line       int // line in the detail file, for messages
	Kind       BillRowKind
	TradeNo    string // 支付宝交易号
	OutTradeNo string // 商户订单号; empty for a trade made outside any merchant system
	RefundNo   string // 退款批次号/请求号 (refunds): the refund's out_request_no
	Amount     Amount // 订单金额
	Received   Amount // 商家实收
	Fee        Amount // 服务费, signed as printed
	FinishedAt time.Time
}

// BillTotals are a day's counts and sums: of the bill's rows, or of the books. Refund
// amounts are positive; Fee keeps the bill's sign (the books have no fees).
type BillTotals struct {
	TradeCount   int          `json:"trade_count"`
	TradeAmount  Amount       `json:"trade_amount"`
	RefundCount  int          `json:"refund_count"`
	RefundAmount Amount       `json:"refund_amount"`
	Fee          SignedAmount `json:"fee"`
}

// BillSummary is the bill's (汇总) file: its 合计 row. Amount is net of refunds.
type BillSummary struct {
	TradeCount  int          `json:"trade_count"`
	RefundCount int          `json:"refund_count"`
	Amount      SignedAmount `json:"amount"`
	Fee         SignedAmount `json:"fee"`
}

// Bill is one day's Alipay trade bill, read from its zip.
type Bill struct {
	Account string  // 账号: the partner id followed by 0156
	Day     BillDay // from the header's 起始日期; "" when the file does not say
	Rows    []BillRow
	Summary *BillSummary // nil when the zip has no (汇总) file
}

// Totals adds up the bill's rows.
func (b *Bill) Totals() BillTotals {
	var t BillTotals
	for _, r := range b.Rows {
		t.Fee += SignedAmount(r.Fee)
		if r.Kind == BillTrade {
			t.TradeCount++
			t.TradeAmount += r.Amount
		} else {
			t.RefundCount++
			t.RefundAmount += r.Amount
		}
	}
	return t
}

// SignedAmount is fen that may be negative: a bill's fees (negative when charged), a day's
// net. JSON writes it as Amount does ("-0.81") and reads what it writes.
type SignedAmount int64

// String formats the amount in yuan with two decimals and its sign.
func (a SignedAmount) String() string { return Amount(a).String() }

// MarshalJSON writes the amount as a JSON string "-0.81".
func (a SignedAmount) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON reads a JSON string in the ParseAmount format with an optional "-".
// Errors: INVALID_PARAMETER.
func (a *SignedAmount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(CodeInvalidParameter, "amount must be a string such as \"-0.81\"")
	}
	digits, neg := strings.CutPrefix(s, "-")
	v, err := ParseAmount(digits)
	if err != nil {
		return err
	}
	if neg {
		v = -v
	}
	*a = SignedAmount(v)
	return nil
}

// ErrBillNotReady is returned by BillSource.DownloadBill while Alipay has no bill for the
// day yet (it publishes a day's bill the next morning): try again later; it is not a
// discrepancy.
var ErrBillNotReady = Errorf(CodeUnprocessable, "Alipay has no bill for this day yet")

// BillSource is the port to Alipay's daily trade bill (alipay.data.dataservice.bill.
// downloadurl.query with bill_type=trade).
type BillSource interface {
	// DownloadBill fetches and parses the bill of day. Errors: ErrBillNotReady (compare
	// with errors.Is), UPSTREAM_REJECTED, UPSTREAM_UNAVAILABLE, INVALID_PARAMETER (a
	// malformed bill).
	DownloadBill(ctx context.Context, day BillDay) (*Bill, error)
	// ParseBill reads a bill zip downloaded by hand from Alipay's merchant portal.
	// Errors: INVALID_PARAMETER naming what is malformed and where.
	ParseBill(zip []byte) (*Bill, error)
}
