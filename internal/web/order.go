package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// timelineLimit bounds each kind of audit row shown for one order.
const timelineLimit = 200

// entry is one line of an order's timeline.
type entry struct {
	at      time.Time
	At      string
	Kind    string // call, notification, event, webhook, refund
	Title   string
	Detail  string
	Good    bool // shown green when true, red when Bad
	Bad     bool
	Body    string // raw request/answer, shown folded
	Fold    string // label of the folded Body; "" = "raw"
	EventID string // events: the resend button
}

type orderView struct {
	pageData
	Order      *payment.Order
	Created    string
	Expires    string
	Paid       string
	Refundable payment.Amount
	RefundNo   string // fresh refund_no of the refund form: a double submit refunds once
	Timeline   []entry
	Done       string
	Error      string
}

var doneMessages = map[string]string{
	"refund": "Refund submitted.", "close": "Order closed.", "sync": "Order synchronised with Alipay.",
	"resend": "Webhook scheduled for delivery now.",
	// The console's charge form (charge.go).
	"charge_paid":     "Charged: the buyer paid.",
	"charge_closed":   "Not paid: the buyer did not confirm in time, and the charge was cancelled.",
	"charge_refunded": "Not paid: the buyer confirmed too late; the cancel refunded the payment in full.",
	"charge_pending":  "The charge is still settling: do not hand over the goods yet.",
}

// order shows one order with its whole history and the actions it allows.
func (h *Handler) order(c *gin.Context) {
	h.renderOrder(c, http.StatusOK, c.Param("no"), doneMessages[c.Query("done")], "")
}

func (h *Handler) renderOrder(c *gin.Context, status int, no, done, errMsg string) {
	ctx := c.Request.Context()
	o, err := h.store.GetOrder(ctx, no)
	if errors.Is(err, payment.ErrNotFound) || !payment.ValidID(no) {
		h.adminError(c, http.StatusNotFound, "No order "+no+".")
		return
	} else if err != nil {
		h.internalError(c, err)
		return
	}
	tl, err := h.timeline(ctx, no)
	if err != nil {
		h.internalError(c, err)
		return
	}
	v := orderView{pageData: h.consoleData(c, "Order "+no, "orders"), Order: o, Created: h.fmtTime(o.CreatedAt),
		Expires: h.fmtTime(o.ExpiresAt), Refundable: o.TotalAmount - o.RefundedAmount,
		RefundNo: "console_" + payment.RandomToken(12), Timeline: tl, Done: done, Error: errMsg}
	if o.PaidAt != nil {
		v.Paid = h.fmtTime(*o.PaidAt)
	}
	h.render(c, status, "order", v)
}

// timeline merges Alipay calls, notifications, events, webhook attempts and refunds of an
// order, oldest first.
func (h *Handler) timeline(ctx context.Context, no string) ([]entry, error) {
	var out []entry
	calls, err := h.store.ListChannelCalls(ctx, no, timelineLimit)
	if err != nil {
		return nil, err
	}
	for _, cl := range calls {
		out = append(out, entry{at: cl.CreatedAt, Kind: "call", Title: cl.Method,
			Detail: fmt.Sprintf("%s in %d ms", cl.Outcome, cl.Duration.Milliseconds()),
			Good:   cl.Outcome == "ok", Bad: cl.Outcome != "ok", Body: "request: " + cl.Request + "\nanswer: " + cl.Response})
	}
	notes, err := h.notifications(ctx, no)
	if err != nil {
		return nil, err
	}
	out = append(out, notes...)
	events, err := h.store.ListOrderEvents(ctx, no)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		ev := entry{at: e.CreatedAt, Kind: "event", Title: e.Type, Detail: e.ID, EventID: e.ID, Body: string(e.Data)}
		if d, err := h.store.GetDelivery(ctx, e.ID); err == nil {
			ev.Detail += " · webhook " + string(d.Status)
			ev.Good, ev.Bad = d.Status == payment.DeliveryDelivered, d.Status == payment.DeliveryDead
		}
		out = append(out, ev)
		attempts, err := h.store.ListDeliveryAttempts(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range attempts {
			res := fmt.Sprintf("HTTP %d", a.StatusCode)
			if a.Error != "" {
				res = a.Error
			}
			out = append(out, entry{at: a.At, Kind: "webhook", Title: fmt.Sprintf("webhook attempt %d for %s", a.Attempt, e.Type),
				Detail: fmt.Sprintf("%s · %s in %d ms", a.URL, res, a.Latency.Milliseconds()),
				Good:   a.Error == "" && a.StatusCode/100 == 2, Bad: a.Error != "" || a.StatusCode/100 != 2, Body: a.Response})
		}
	}
	refunds, err := h.store.ListRefunds(ctx, no)
	if err != nil {
		return nil, err
	}
	for _, r := range refunds {
		d := fmt.Sprintf("%s yuan · %s", r.Amount, r.Status)
		if r.FailureReason != "" {
			d += " · " + r.FailureReason
		}
		out = append(out, entry{at: r.CreatedAt, Kind: "refund", Title: "refund " + r.RefundNo, Detail: d,
			Good: r.Status == payment.RefundSucceeded, Bad: r.Status == payment.RefundFailed, Body: r.Reason})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	for i := range out {
		out[i].At = h.fmtTime(out[i].at)
	}
	return out, nil
}
