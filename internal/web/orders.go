package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// PageSize is the number of orders on one page of the console's list.
const PageSize = 50

type orderRow struct {
	OutTradeNo string
	TradeNo    string
	Client     string
	Subject    string
	Amount     payment.Amount
	Refunded   payment.Amount
	Status     string
	Channel    string // alipay or wechat
	Created    string
	Barcode    bool // a barcode charge (alipay.trade.pay), not a QR order
}

func (h *Handler) row(o *payment.Order) orderRow {
	return orderRow{OutTradeNo: o.OutTradeNo, TradeNo: o.TradeNo, Client: o.ClientID, Subject: o.Subject,
		Amount: o.TotalAmount, Refunded: o.RefundedAmount, Status: string(o.Status), Channel: payment.OrderChannel(o), Created: h.fmtTime(o.CreatedAt),
		Barcode: o.Kind == payment.KindBarcode}
}

func (h *Handler) fmtTime(t time.Time) string { return t.In(h.loc).Format("2006-01-02 15:04:05") }

type ordersView struct {
	pageData
	Status, From, To, Q string
	Statuses            []string
	Rows                []orderRow
	Next                string // URL of the next page; "" on the last
	First               string // URL of the first page when not on it
	Error               string
}

// orders lists orders newest first with status, date and out_trade_no/trade_no filters.
func (h *Handler) orders(c *gin.Context) {
	v := ordersView{pageData: h.consoleData(c, "Orders", "orders"), Status: c.Query("status"),
		From: c.Query("from"), To: c.Query("to"), Q: strings.TrimSpace(c.Query("q")),
		Statuses: []string{"pending", "paid", "closed", "refunded"}}
	f := payment.OrderFilter{Status: payment.Status(v.Status), Search: v.Q, Limit: PageSize + 1}
	var errs []string
	if v.Status != "" && !f.Status.Valid() {
		errs = append(errs, "status must be pending, paid, closed or refunded")
	}
	var err error
	if f.From, err = h.parseDay(v.From, 0); err != nil {
		errs = append(errs, "from must be a date like 2024-01-31")
	}
	if f.To, err = h.parseDay(v.To, 1); err != nil {
		errs = append(errs, "to must be a date like 2024-01-31")
	}
	if b := c.Query("before"); b != "" {
		if f.Before, err = strconv.ParseInt(b, 10, 64); err != nil || f.Before < 1 {
			errs = append(errs, "before must be a page cursor")
		}
	}
	if len(errs) > 0 {
		v.Error = strings.Join(errs, "; ")
		h.render(c, http.StatusBadRequest, "orders", v)
		return
	}
	list, err := h.store.ListOrders(c.Request.Context(), f)
	if err != nil {
		h.internalError(c, err)
		return
	}
	q := url.Values{}
	for k, val := range map[string]string{"status": v.Status, "from": v.From, "to": v.To, "q": v.Q} {
		if val != "" {
			q.Set(k, val)
		}
	}
	if len(list) > PageSize {
		list = list[:PageSize]
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(list[PageSize-1].ID, 10))
		v.Next = "/admin/orders?" + next.Encode()
	}
	if f.Before > 0 {
		v.First = "/admin/orders?" + q.Encode()
	}
	for _, o := range list {
		v.Rows = append(v.Rows, h.row(o))
	}
	h.render(c, http.StatusOK, "orders", v)
}

// parseDay reads YYYY-MM-DD in the console's time zone, plus addDays; "" is the zero time.
func (h *Handler) parseDay(s string, addDays int) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, h.loc)
	if err != nil {
		return time.Time{}, err
	}
	return d.AddDate(0, 0, addDays), nil
}
