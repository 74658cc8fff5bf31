package payment

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// booksPage is how many orders or refunds one read of the day's books takes.
const booksPage = 500

// checkBooks walks the day's payments and refunds in the books (by PaidAt and
// SucceededAt, Beijing day), adds up their totals and notes those the bill lacks.
func (c *comparison) checkBooks(ctx context.Context) error {
	from, to := c.day.Start(), c.day.End()
	for after := int64(0); ; {
		os, err := c.s.store.ListPaidOrders(ctx, from, to, after, booksPage)
		if err != nil {
			return err
		}
		for _, o := range os {
			after = o.ID
			if OrderChannel(o) != ChannelAlipay {
				continue // WeChat Pay's payments are not in Alipay's bill (docs/decisions.md, "WeChat Pay channel")
			}
			c.books.TradeCount++
			c.books.TradeAmount += o.TotalAmount
			if !c.trades[o.OutTradeNo] {
				c.add(finding{kind: KindPaymentNotInBill, ref: o.OutTradeNo, outTradeNo: o.OutTradeNo, tradeNo: o.TradeNo,
					ours: o.TotalAmount, detail: fmt.Sprintf("paid here at %s but not in Alipay's bill of %s; "+
						"checked again with the next day's bill", fmtBeijing(o.PaidAt), c.day)})
			}
		}
		if len(os) < booksPage {
			break
		}
	}
	for after := int64(0); ; {
		rs, err := c.s.store.ListSucceededRefunds(ctx, from, to, after, booksPage)
		if err != nil {
			return err
		}
		for _, r := range rs {
			after = r.ID
			if o, err := c.order(ctx, r.OutTradeNo); err != nil {
				return err
			} else if o != nil && OrderChannel(o) != ChannelAlipay {
				continue
			}
			c.books.RefundCount++
			c.books.RefundAmount += r.Amount
			if !c.refunds[r.OutTradeNo+"/"+r.RefundNo] {
				c.add(finding{kind: KindRefundNotInBill, ref: r.OutTradeNo + "/" + r.RefundNo, outTradeNo: r.OutTradeNo,
					refundNo: r.RefundNo, ours: r.Amount, detail: fmt.Sprintf("refunded here at %s but not in Alipay's bill of %s; "+
						"checked again with the next day's bill", fmtBeijing(r.SucceededAt), c.day)})
			}
		}
		if len(rs) < booksPage {
			break
		}
	}
	return nil
}

// recheckEarlier looks for the open "not in bill" discrepancies of earlier days in this
// bill: a payment made just before midnight may be listed the next day.
func (c *comparison) recheckEarlier(ctx context.Context) error {
	ds, err := c.s.store.ListDiscrepancies(ctx, DiscrepancyFilter{Before: c.day, State: DiscrepancyOpen,
		Kinds: []DiscrepancyKind{KindPaymentNotInBill, KindRefundNotInBill}, Limit: maxOpenCount})
	if err != nil {
		return err
	}
	for _, d := range ds {
		if (d.Kind == KindPaymentNotInBill && c.trades[d.OutTradeNo]) ||
			(d.Kind == KindRefundNotInBill && c.refunds[d.OutTradeNo+"/"+d.RefundNo]) {
			c.appeared = append(c.appeared, d.ID)
		}
	}
	return nil
}

// checkTotals holds the bill's rows to its (汇总) file, and the books' totals to the
// bill's when no row explains a difference (each row finding already does).
func (c *comparison) checkTotals() {
	bill := c.bill.Totals()
	if s := c.bill.Summary; s != nil {
		var diffs []string
		diff := func(what string, rows, summary any) {
			if rows != summary {
				diffs = append(diffs, fmt.Sprintf("%s %v in the rows, %v in the summary", what, rows, summary))
			}
		}
		diff("payments", bill.TradeCount, s.TradeCount)
		diff("refunds", bill.RefundCount, s.RefundCount)
		diff("net amount", SignedAmount(bill.TradeAmount-bill.RefundAmount), s.Amount)
		diff("fee", bill.Fee, s.Fee)
		if len(diffs) > 0 {
			c.add(finding{kind: KindTotalsMismatch, ref: "summary", ours: bill.TradeAmount - bill.RefundAmount, alipay: Amount(s.Amount),
				detail: "the bill's detail and (汇总) files disagree: " + strings.Join(diffs, "; ")})
		}
	}
	// Rows the books put on the day before or after (paid around midnight) are no
	// difference: they were matched one by one.
	b, sh := c.books, c.shifted
	bill.TradeCount, bill.TradeAmount = bill.TradeCount-sh.TradeCount, bill.TradeAmount-sh.TradeAmount
	bill.RefundCount, bill.RefundAmount = bill.RefundCount-sh.RefundCount, bill.RefundAmount-sh.RefundAmount
	if c.rowLevel > 0 || (b.TradeCount == bill.TradeCount && b.TradeAmount == bill.TradeAmount &&
		b.RefundCount == bill.RefundCount && b.RefundAmount == bill.RefundAmount) {
		return
	}
	c.add(finding{kind: KindTotalsMismatch, ref: "books", ours: b.TradeAmount - b.RefundAmount, alipay: bill.TradeAmount - bill.RefundAmount,
		detail: fmt.Sprintf("the books have %d payments of %s and %d refunds of %s; the bill, for what the books put on this day, "+
			"%d of %s and %d of %s", b.TradeCount, b.TradeAmount, b.RefundCount, b.RefundAmount,
			bill.TradeCount, bill.TradeAmount, bill.RefundCount, bill.RefundAmount)})
}

// fmtBeijing writes t as Alipay does, in Beijing time.
func fmtBeijing(t *time.Time) string {
	if t == nil {
		return "an unknown time"
	}
	return t.In(beijing).Format(time.DateTime)
}
