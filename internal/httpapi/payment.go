package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// MaxWait is the longest `?wait=N` a query may ask for (docs/api.md).
const MaxWait = 60 * time.Second

// createPaymentBody is the JSON of POST /create. Amounts are strings, parsed strictly.
type createPaymentBody struct {
	OutTradeNo     string            `json:"out_trade_no"`
	TotalAmount    string            `json:"total_amount"`
	Subject        string            `json:"subject"`
	Body           string            `json:"body"`
	TimeoutMinutes *int              `json:"timeout_minutes"`
	NotifyURL      string            `json:"notify_url"`
	Metadata       map[string]string `json:"metadata"`
	Channel        string            `json:"channel"`
	StoreID        string            `json:"store_id"`
	TerminalID     string            `json:"terminal_id"`
	OperatorID     string            `json:"operator_id"`
}

type outTradeNoBody struct {
	OutTradeNo string `json:"out_trade_no"`
}

type paymentList struct {
	Data       []payment.PaymentObject `json:"data"`
	HasMore    bool                    `json:"has_more"`
	NextCursor string                  `json:"next_cursor"`
}

func clientOf(c *gin.Context) *payment.Merchant {
	cl, _ := c.Value(ctxClient).(*payment.Merchant)
	return cl
}

// parseAmount parses a money string and names the field in the error.
func parseAmount(field, s string) (payment.Amount, error) {
	if s == "" {
		return 0, invalid("%s is required", field)
	}
	a, err := payment.ParseAmount(s)
	if err != nil {
		return 0, invalid("%s must be yuan with at most two decimals, e.g. \"9.90\"", field)
	}
	return a, nil
}

func (s *server) view(o *payment.Order) payment.PaymentObject {
	return payment.PaymentView(o, s.svc.Config().PublicURL)
}

// createPayment answers 201 with a new order, 200 with the existing identical one.
func (s *server) createPayment(c *gin.Context) {
	var in createPaymentBody
	if err := decodeStrict(bodyOf(c), &in); err != nil {
		writeError(c, err)
		return
	}
	amount, err := parseAmount("total_amount", in.TotalAmount)
	if err != nil {
		writeError(c, err)
		return
	}
	timeout := 0 // absent: the default
	if in.TimeoutMinutes != nil {
		if timeout = *in.TimeoutMinutes; timeout < 1 || timeout > payment.MaxTimeoutMinutes {
			writeError(c, invalid("timeout_minutes must be between 1 and %d", payment.MaxTimeoutMinutes))
			return
		}
	}
	o, created, err := s.svc.Create(c.Request.Context(), clientOf(c).AppID, payment.CreateRequest{
		OutTradeNo: in.OutTradeNo, TotalAmount: amount, Subject: in.Subject, Body: in.Body,
		TimeoutMinutes: timeout, NotifyURL: in.NotifyURL, Metadata: in.Metadata, Channel: in.Channel,
		StoreID: in.StoreID, TerminalID: in.TerminalID, OperatorID: in.OperatorID,
	})
	if err != nil {
		writeError(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, s.view(o))
}

// queryPayment answers the order; ?sync=true asks Alipay first, ?wait=N holds a pending
// order's answer through the Waiter (answered at once when none is configured).
func (s *server) queryPayment(c *gin.Context) {
	sync, err := boolParam(c, "sync")
	if err != nil {
		writeError(c, err)
		return
	}
	wait, err := intParam(c, "wait", 0, int64(MaxWait/time.Second))
	if err != nil {
		writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	o, err := s.svc.Get(ctx, clientOf(c).AppID, c.Param("out_trade_no"), sync)
	if err == nil && wait > 0 && o.Status == payment.StatusPending && s.waiter != nil {
		if s.park(c, o, time.Duration(wait)*time.Second) {
			return // answered later from the parked connection (park.go)
		}
		o, err = s.waiter.WaitSettled(ctx, o, time.Duration(wait)*time.Second)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, s.view(o))
}

// closePayment closes an unpaid order and answers it (200).
func (s *server) closePayment(c *gin.Context) {
	var in outTradeNoBody
	if err := decodeStrict(bodyOf(c), &in); err != nil {
		writeError(c, err)
		return
	}
	if in.OutTradeNo == "" {
		writeError(c, invalid("out_trade_no is required"))
		return
	}
	o, err := s.svc.Close(c.Request.Context(), clientOf(c).AppID, in.OutTradeNo)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, s.view(o))
}

// listPayments pages through the client's orders, newest first. The cursor is the last
// order's internal id; next_cursor is empty when there is no further page.
func (s *server) listPayments(c *gin.Context) {
	limit, err := intParam(c, "limit", 1, 100)
	if err != nil {
		writeError(c, err)
		return
	}
	cursor, err := intParam(c, "cursor", 1, 1<<62)
	if err != nil {
		writeError(c, invalid("cursor must be the next_cursor of a previous page"))
		return
	}
	ctx, appID, status := c.Request.Context(), clientOf(c).AppID, payment.Status(c.Query("status"))
	orders, err := s.svc.List(ctx, appID, status, int(limit), cursor)
	if err != nil {
		writeError(c, err)
		return
	}
	out := paymentList{Data: make([]payment.PaymentObject, 0, len(orders))}
	for _, o := range orders {
		out.Data = append(out.Data, s.view(o))
	}
	if n := len(orders); n > 0 && (limit == 0 || n == int(limit)) {
		// A full page: one probe past its last order tells whether another page exists.
		last := orders[n-1].ID
		more, err := s.svc.List(ctx, appID, status, 1, last)
		if err != nil {
			writeError(c, err)
			return
		}
		if len(more) > 0 {
			out.HasMore, out.NextCursor = true, strconv.FormatInt(last, 10)
		}
	}
	c.JSON(http.StatusOK, out)
}

// boolParam reads an optional true/false query parameter.
func boolParam(c *gin.Context, name string) (bool, error) {
	v, ok := c.GetQuery(name)
	if !ok || v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalid("%s must be true or false", name)
	}
	return b, nil
}

// intParam reads an optional integer query parameter in [lo, hi]; absent or empty is 0.
func intParam(c *gin.Context, name string, lo, hi int64) (int64, error) {
	v, ok := c.GetQuery(name)
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, invalid("%s must be an integer between %d and %d", name, lo, hi)
	}
	return n, nil
}
