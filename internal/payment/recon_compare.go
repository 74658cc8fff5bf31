package payment

import (
	"context"
	"errors"
	"fmt"
)

// comparison is one run's walk over a bill and the books of its day.
type comparison struct {
	s        *Service
	day      BillDay
	bill     *Bill
	findings []finding
	trades   map[string]bool // out_trade_no of the bill's trades
	refunds  map[string]bool // out_trade_no + "/" + refund_no of the bill's refunds
	books    BillTotals      // the books' totals of the day, after what this run recorded
	shifted  BillTotals      // the bill's rows the books put on another day (around midnight)
	appeared []int64         // earlier days' "not in bill" discrepancies found in this bill
	rowLevel int             // findings about single rows (they explain differing totals)
	seen     map[string]bool // kind and ref of the findings
}

// run compares every row of the bill with the books, then the books with the bill, then
// the totals. What Alipay confirms is recorded as it goes, through the usual paths.
func (c *comparison) run(ctx context.Context) error {
	c.trades, c.refunds, c.seen = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range c.bill.Rows {
		if r.Kind == BillTrade {
			c.trades[r.OutTradeNo] = true
		} else {
			c.refunds[r.OutTradeNo+"/"+r.RefundNo] = true
		}
	}
	// Trades first: a refund of a payment missing here needs the payment recorded.
	for _, kind := range []BillRowKind{BillTrade, BillRefund} {
		for _, r := range c.bill.Rows {
			if r.Kind != kind {
				continue
			}
			var err error
			if kind == BillTrade {
				err = c.checkTrade(ctx, r)
			} else {
				err = c.checkRefund(ctx, r)
			}
			if err != nil {
				return err
			}
		}
	}
	if err := c.checkBooks(ctx); err != nil {
		return err
	}
	if err := c.recheckEarlier(ctx); err != nil {
		return err
	}
	c.checkTotals()
	return nil
}

// add notes a finding, once per (kind, ref): a row the bill lists twice is one
// discrepancy (and a difference of the totals).
func (c *comparison) add(f finding) {
	key := string(f.kind) + "\x00" + f.ref
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	if f.kind != KindTotalsMismatch {
		c.rowLevel++
	}
	c.findings = append(c.findings, f)
}

// order returns the order with out_trade_no, or nil when f2fpay never issued it.
func (c *comparison) order(ctx context.Context, outTradeNo string) (*Order, error) {
	if !ValidID(outTradeNo) {
		return nil, nil
	}
	o, err := c.s.store.GetOrder(ctx, outTradeNo)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return o, err
}

func paidHere(o *Order) bool { return o.Status == StatusPaid || o.Status == StatusRefunded }

// checkTrade compares one payment of the bill with its order.
func (c *comparison) checkTrade(ctx context.Context, r BillRow) error {
	o, err := c.order(ctx, r.OutTradeNo)
	if err != nil {
		return err
	}
	if o == nil {
		c.add(finding{kind: KindUnknownOrder, ref: "trade:" + r.TradeNo, outTradeNo: r.OutTradeNo, tradeNo: r.TradeNo,
			alipay: r.Amount, detail: fmt.Sprintf("bill line %d: a payment for an out_trade_no f2fpay never issued "+
				"(another system sharing the Alipay app?); not imported", r.Line)})
		return nil
	}
	if !paidHere(o) {
		if o, err = c.recordPayment(ctx, o, r); err != nil {
			return err
		}
	}
	if o.PaidAt != nil && paidHere(o) && BillDayOf(*o.PaidAt) != c.day {
		c.shifted.TradeCount++
		c.shifted.TradeAmount += r.Amount
	}
	if r.Amount != o.TotalAmount {
		c.add(finding{kind: KindAmountMismatch, ref: o.OutTradeNo, outTradeNo: o.OutTradeNo, tradeNo: r.TradeNo,
			ours: o.TotalAmount, alipay: r.Amount, detail: fmt.Sprintf("bill line %d: the payment is %s at Alipay, %s here",
				r.Line, r.Amount, o.TotalAmount)})
	}
	return nil
}

// recordPayment queries a payment the bill lists but the books do not (alipay.trade.query,
// through Sync, which records it with payment.succeeded as a notification would).
func (c *comparison) recordPayment(ctx context.Context, o *Order, r BillRow) (*Order, error) {
	f := finding{kind: KindPaymentNotRecorded, ref: o.OutTradeNo, outTradeNo: o.OutTradeNo, tradeNo: r.TradeNo,
		alipay: r.Amount}
	was := o.Status
	cur, err := c.s.Sync(ctx, o.OutTradeNo)
	switch {
	case err != nil && !isUpstream(err):
		return nil, err
	case err != nil:
		f.detail = fmt.Sprintf("bill line %d: paid at Alipay but %s here; alipay.trade.query failed (%s), asked again at the next run",
			r.Line, was, ErrorMessage(err))
		cur = o
	case paidHere(cur):
		f.fixed = true
		f.detail = fmt.Sprintf("bill line %d: paid at Alipay but %s here; alipay.trade.query confirmed it and it is recorded as paid",
			r.Line, was)
	default:
		f.detail = fmt.Sprintf("bill line %d: paid at Alipay but %s here, and alipay.trade.query does not confirm the payment",
			r.Line, cur.Status)
	}
	c.add(f)
	return cur, nil
}

// isUpstream reports an error of the call to Alipay rather than of the books.
func isUpstream(err error) bool {
	code := ErrorCode(err)
	return code == CodeUpstreamRejected || code == CodeUpstreamUnavailable
}
