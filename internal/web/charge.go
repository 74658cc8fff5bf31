package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// consoleChargeTimeout is how long a charge taken on the console waits for the buyer.
const consoleChargeTimeout = 30

type chargeView struct {
	pageData
	Clients                             []string
	Client, Amount, Subject, OutTradeNo string
	Error                               string
	TimeoutSeconds                      int
}

// mountCharge adds the console's charge form: an operator takes a buyer's payment code by
// hand, typed or from a USB barcode scanner acting as a keyboard (it types the digits and
// Enter, which submits the form).
func (h *Handler) mountCharge(in *gin.RouterGroup) {
	in.GET("/charge", h.chargeForm)
	in.POST("/charge", h.charge)
}

func (h *Handler) chargeForm(c *gin.Context) { h.renderCharge(c, http.StatusOK, chargeView{}) }

func (h *Handler) renderCharge(c *gin.Context, status int, v chargeView) {
	v.pageData, v.TimeoutSeconds = h.consoleData(c, "Charge", "charge"), consoleChargeTimeout
	list, err := h.store.ListMerchants(c.Request.Context())
	if err != nil {
		h.internalError(c, err)
		return
	}
	for _, cl := range list {
		if !cl.Disabled {
			v.Clients = append(v.Clients, cl.AppID)
		}
	}
	if v.OutTradeNo == "" {
		// A new number per form, so that submitting the same form twice charges once.
		v.OutTradeNo = "console_" + payment.RandomToken(16)
	}
	h.render(c, status, "charge", v)
}

// charge takes the payment and waits for it to settle, then shows the order; a refusal
// stays on the form with Alipay's reason and a fresh order number.
func (h *Handler) charge(c *gin.Context) {
	v := chargeView{Client: c.PostForm("client"), Amount: strings.TrimSpace(c.PostForm("amount")),
		Subject: strings.TrimSpace(c.PostForm("subject"))}
	if cl, err := h.store.GetMerchant(c.Request.Context(), v.Client); err != nil || cl.Disabled {
		v.Client = ""
	}
	if v.Client == "" {
		v.Error = "Choose the client the payment is for (create one on the Clients page first)."
		h.renderCharge(c, http.StatusBadRequest, v)
		return
	}
	amount, err := payment.ParseAmount(v.Amount)
	if err != nil {
		v.Error = "The amount must be yuan with at most two decimals, e.g. 9.90."
		h.renderCharge(c, http.StatusBadRequest, v)
		return
	}
	no := c.PostForm("out_trade_no")
	// A scanner's digits may come with spaces or a line end.
	code := strings.Join(strings.Fields(c.PostForm("auth_code")), "")
	o, _, err := h.svc.Charge(c.Request.Context(), v.Client, payment.ChargeRequest{OutTradeNo: no, TotalAmount: amount,
		Subject: v.Subject, AuthCode: code, TimeoutSeconds: consoleChargeTimeout}, true)
	var pe *payment.Error
	switch {
	case errors.As(err, &pe) && pe.Code == payment.CodePaymentFailed:
		v.Error = "Declined by Alipay: " + pe.AlipaySubMsg + " (" + pe.AlipaySubCode + "). Scan a fresh payment code to try again."
		h.renderCharge(c, http.StatusPaymentRequired, v)
		return
	case err != nil:
		status, msg := actionStatus(err)
		if status == http.StatusInternalServerError {
			h.log.Error("console charge", slog.String("out_trade_no", no), slog.String("err", err.Error()))
		}
		v.Error, v.OutTradeNo = msg, no
		h.renderCharge(c, status, v)
		return
	}
	h.log.Info("console charge", slog.String("out_trade_no", o.OutTradeNo), slog.String("status", string(o.Status)))
	c.Redirect(http.StatusSeeOther, "/admin/orders/"+url.PathEscape(o.OutTradeNo)+"?done=charge_"+string(o.Status))
}
