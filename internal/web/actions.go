package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// actionStatus maps a coded error of the payment service to the status of the console
// page that reports it; the console shows the error's message, or "internal error".
func actionStatus(err error) (int, string) {
	switch payment.ErrorCode(err) {
	case payment.CodeInvalidParameter:
		return http.StatusBadRequest, payment.ErrorMessage(err)
	case payment.CodeNotFound:
		return http.StatusNotFound, payment.ErrorMessage(err)
	case payment.CodeConflict:
		return http.StatusConflict, payment.ErrorMessage(err)
	case payment.CodeUnprocessable:
		return http.StatusUnprocessableEntity, payment.ErrorMessage(err)
	case payment.CodeUpstreamRejected:
		return http.StatusBadGateway, "Alipay refused: " + payment.ErrorMessage(err)
	case payment.CodeUpstreamUnavailable:
		return http.StatusServiceUnavailable, "Alipay did not answer; the outcome is unknown and will be resolved by the reconciler. " + payment.ErrorMessage(err)
	}
	return http.StatusInternalServerError, "internal error"
}

// finish redirects to the order page after a successful action (so that a reload does not
// repeat it), or renders the order page with the error.
func (h *Handler) finish(c *gin.Context, no, done string, err error) {
	if err != nil {
		status, msg := actionStatus(err)
		if status == http.StatusInternalServerError {
			h.log.Error("console action", slog.String("action", done), slog.String("out_trade_no", no), slog.String("err", err.Error()))
		}
		h.renderOrder(c, status, no, "", msg)
		return
	}
	h.log.Info("console action", slog.String("action", done), slog.String("out_trade_no", no))
	c.Redirect(http.StatusSeeOther, "/admin/orders/"+url.PathEscape(no)+"?done="+done)
}

// refund refunds part or all of a paid order; the form carries the refund_no it was
// rendered with, so submitting it twice refunds once.
func (h *Handler) refund(c *gin.Context) {
	no := c.Param("no")
	amount, err := payment.ParseAmount(strings.TrimSpace(c.PostForm("amount")))
	if err != nil {
		h.renderOrder(c, http.StatusBadRequest, no, "", "The amount must be yuan with at most two decimals, e.g. 1.00.")
		return
	}
	_, err = h.svc.Refund(c.Request.Context(), "", payment.RefundInput{OutTradeNo: no,
		RefundNo: c.PostForm("refund_no"), Amount: amount, Reason: strings.TrimSpace(c.PostForm("reason"))})
	h.finish(c, no, "refund", err)
}

// closeOrder closes an unpaid order at Alipay and locally.
func (h *Handler) closeOrder(c *gin.Context) {
	no := c.Param("no")
	_, err := h.svc.Close(c.Request.Context(), "", no)
	h.finish(c, no, "close", err)
}

// syncOrder asks Alipay about the order and applies the answer.
func (h *Handler) syncOrder(c *gin.Context) {
	no := c.Param("no")
	if !payment.ValidID(no) {
		h.adminError(c, http.StatusNotFound, "No such order.")
		return
	}
	_, err := h.svc.Sync(c.Request.Context(), no)
	h.finish(c, no, "sync", err)
}

// resend makes an event's webhook due now, with a fresh retry schedule.
func (h *Handler) resend(c *gin.Context) {
	e, err := h.svc.ResendEvent(c.Request.Context(), "", c.Param("id"))
	if err != nil {
		status, msg := actionStatus(err)
		h.adminError(c, status, msg)
		return
	}
	h.finish(c, e.OutTradeNo, "resend", nil)
}
