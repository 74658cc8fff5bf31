package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// maxScan bounds how many orders the dashboard reads for its figures (about a busy shop's
// month); beyond it the figures say they are partial.
const maxScan = 20000

type dashboardView struct {
	pageData
	Today   string
	Count   int
	Paid    int
	Amount  payment.Amount
	Rate    string
	Partial bool
	Chart   chart
	Recent  []orderRow
}

// dashboard shows today's count, paid amount and paid rate, the last 24 hours as a chart,
// and the newest orders.
func (h *Handler) dashboard(c *gin.Context) {
	ctx := c.Request.Context()
	now := h.now().In(h.loc)
	dayStart := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.loc)
	from := now.Add(-24 * time.Hour)
	if dayStart.Before(from) {
		from = dayStart
	}
	orders, partial, err := h.scanOrders(ctx, from)
	if err != nil {
		h.internalError(c, err)
		return
	}
	v := dashboardView{pageData: h.consoleData(c, "Dashboard", "dashboard"), Today: dayStart.Format("2006-01-02"), Partial: partial}
	for _, o := range orders {
		if o.CreatedAt.Before(dayStart) {
			continue
		}
		v.Count++
		if o.Status == payment.StatusPaid || o.Status == payment.StatusRefunded {
			v.Paid++
			v.Amount += o.TotalAmount
		}
	}
	v.Rate = "–"
	if v.Count > 0 {
		v.Rate = fmt.Sprintf("%.1f%%", 100*float64(v.Paid)/float64(v.Count))
	}
	v.Chart = hourlyChart(orders, now, h.loc)
	for i, o := range orders {
		if i == 10 {
			break
		}
		v.Recent = append(v.Recent, h.row(o))
	}
	h.render(c, http.StatusOK, "dashboard", v)
}

// scanOrders reads every order created since from, newest first, up to maxScan.
func (h *Handler) scanOrders(ctx context.Context, from time.Time) ([]*payment.Order, bool, error) {
	var all []*payment.Order
	var before int64
	for len(all) < maxScan {
		page, err := h.store.ListOrders(ctx, payment.OrderFilter{From: from, Before: before, Limit: 500})
		if err != nil {
			return nil, false, err
		}
		all = append(all, page...)
		if len(page) < 500 {
			return all, false, nil
		}
		before = page[len(page)-1].ID
	}
	return all, true, nil
}

// chart is the last 24 hours as an SVG bar chart, computed here so that the template
// only places elements.
type chart struct {
	Width, Height int
	Bars          []bar
	Labels        []label
	Max           int
	Created, Paid int
}

type bar struct {
	X, CreatedY, CreatedH, PaidY, PaidH, W int
	Title                                  string
}

type label struct {
	X    int
	Text string
}

const (
	chartW, chartH, chartTop, chartBottom = 720, 200, 10, 180
	slot                                  = 30 // 24 slots of 30 px
)

// hourlyChart counts orders created and orders paid in each of the last 24 hours.
func hourlyChart(orders []*payment.Order, now time.Time, loc *time.Location) chart {
	end := now.Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-24 * time.Hour)
	var created, paid [24]int
	for _, o := range orders {
		if i := int(o.CreatedAt.Sub(start) / time.Hour); !o.CreatedAt.Before(start) && i < 24 {
			created[i]++
		}
		if o.PaidAt != nil && !o.PaidAt.Before(start) {
			if i := int(o.PaidAt.Sub(start) / time.Hour); i < 24 {
				paid[i]++
			}
		}
	}
	ch := chart{Width: chartW, Height: chartH, Max: 1}
	for i := range 24 {
		ch.Max = max(ch.Max, created[i], paid[i])
		ch.Created += created[i]
		ch.Paid += paid[i]
	}
	scale := func(n int) int { return n * (chartBottom - chartTop) / ch.Max }
	for i := range 24 {
		hour := start.Add(time.Duration(i) * time.Hour).In(loc)
		x := i*slot + 3
		b := bar{X: x, W: 12, CreatedH: scale(created[i]), PaidH: scale(paid[i]),
			Title: fmt.Sprintf("%s–%02d:00: %d created, %d paid", hour.Format("15:04"), (hour.Hour()+1)%24, created[i], paid[i])}
		b.CreatedY, b.PaidY = chartBottom-b.CreatedH, chartBottom-b.PaidH
		ch.Bars = append(ch.Bars, b)
		if i%3 == 0 {
			ch.Labels = append(ch.Labels, label{X: x, Text: hour.Format("15h")})
		}
	}
	return ch
}

func (h *Handler) internalError(c *gin.Context, err error) {
	h.log.Error("console", slog.String("path", c.FullPath()), slog.String("err", err.Error()))
	h.adminError(c, http.StatusInternalServerError, "internal error")
}
