package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// MaxExportDays bounds the date range of one finance export.
const MaxExportDays = 92

// exportHeader names the export's columns; times are Beijing time, as in Alipay's bills.
var exportHeader = []string{"type", "out_trade_no", "refund_no", "trade_no", "client_id", "subject", "amount",
	"status", "created_at", "money_moved_at", "note"}

// exportCSV writes the payments (by the time they were paid) and the refunds (by the time
// they succeeded) of the days from..to (Beijing time, inclusive) as CSV in UTF-8 with a
// byte-order mark, so that Excel opens the Chinese text as it is: the books finance holds
// against Alipay's bills.
func (h *Handler) exportCSV(c *gin.Context) {
	from, err1 := payment.ParseBillDay(c.Query("from"))
	to, err2 := payment.ParseBillDay(c.Query("to"))
	if err1 != nil || err2 != nil || to < from || to.Start().Sub(from.Start()) >= MaxExportDays*24*time.Hour {
		h.renderRecon(c, http.StatusBadRequest, reconView{Error: fmt.Sprintf(
			"Export: from and to must be days like 2026-11-01, from not after to, at most %d days.", MaxExportDays)})
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="f2fpay-%s_%s.csv"`, from, to))
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write([]byte("\uFEFF"))
	w := csv.NewWriter(c.Writer)
	_ = w.Write(exportHeader)
	if err := h.writeExport(c.Request.Context(), w, from.Start(), to.End()); err != nil {
		// The status is sent: the file ends short, and says so on its last line.
		h.log.Error("finance export", slog.String("err", err.Error()))
		_ = w.Write([]string{"error", "the export stopped early: internal error"})
	}
	w.Flush()
}

func (h *Handler) writeExport(ctx context.Context, w *csv.Writer, from, to time.Time) error {
	orders := map[string]*payment.Order{}
	for after := int64(0); ; {
		os, err := h.store.ListPaidOrders(ctx, from, to, after, 500)
		if err != nil {
			return err
		}
		for _, o := range os {
			after, orders[o.OutTradeNo] = o.ID, o
			note := ""
			if o.Late {
				note = "paid after the order was closed"
			}
			_ = w.Write(cells("payment", o.OutTradeNo, "", o.TradeNo, o.ClientID, o.Subject, o.TotalAmount.String(),
				string(o.Status), beijingTime(o.CreatedAt), beijingTime(*o.PaidAt), note))
		}
		if len(os) < 500 {
			break
		}
	}
	for after := int64(0); ; {
		rs, err := h.store.ListSucceededRefunds(ctx, from, to, after, 500)
		if err != nil {
			return err
		}
		for _, r := range rs {
			after = r.ID
			o := orders[r.OutTradeNo]
			if o == nil {
				if o, err = h.store.GetOrder(ctx, r.OutTradeNo); err != nil {
					return err
				}
				orders[r.OutTradeNo] = o
			}
			_ = w.Write(cells("refund", r.OutTradeNo, r.RefundNo, o.TradeNo, r.ClientID, o.Subject, r.Amount.String(),
				string(r.Status), beijingTime(r.CreatedAt), beijingTime(*r.SucceededAt), r.Reason))
		}
		if len(rs) < 500 {
			return nil
		}
	}
}

func beijingTime(t time.Time) string { return t.In(payment.Beijing()).Format(time.DateTime) }

// cells guards every cell against spreadsheet formulas: text a merchant or buyer wrote
// (a subject, a reason) that starts like a formula is prefixed with an apostrophe.
func cells(vs ...string) []string {
	for i, v := range vs {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			vs[i] = "'" + v
		}
	}
	return vs
}
