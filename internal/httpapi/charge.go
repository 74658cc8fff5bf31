package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// chargeBody is the JSON of POST /charge (docs/api.md, "POST /api/v1/payment/charge").
type chargeBody struct {
	OutTradeNo     string            `json:"out_trade_no"`
	TotalAmount    string            `json:"total_amount"`
	Subject        string            `json:"subject"`
	AuthCode       string            `json:"auth_code"`
	Body           string            `json:"body"`
	StoreID        string            `json:"store_id"`
	TerminalID     string            `json:"terminal_id"`
	OperatorID     string            `json:"operator_id"`
	TimeoutSeconds int               `json:"timeout_seconds"`
	NotifyURL      string            `json:"notify_url"`
	Metadata       map[string]string `json:"metadata"`
}

// chargeWriteMargin is how much longer than a charge's timeout its answer may take to
// write: the cancel at the deadline and a slow client.
const chargeWriteMargin = 45 * time.Second

// chargePayment takes a barcode payment. It holds the answer until the charge settles (up
// to timeout_seconds and the cancel after it): 200 with the settled order, 402
// PAYMENT_FAILED when Alipay refused it, 202 with the pending order when it has not
// settled or ?wait=0 asked not to hold.
func (s *server) chargePayment(c *gin.Context) {
	wait, err := intParam(c, "wait", 0, 1)
	if err != nil {
		writeError(c, err)
		return
	}
	hold := c.Query("wait") == "" || wait != 0
	var in chargeBody
	if err := decodeStrict(bodyOf(c), &in); err != nil {
		writeError(c, err)
		return
	}
	amount, err := parseAmount("total_amount", in.TotalAmount)
	if err != nil {
		writeError(c, err)
		return
	}
	req := payment.ChargeRequest{
		OutTradeNo: in.OutTradeNo, TotalAmount: amount, Subject: in.Subject, Body: in.Body,
		AuthCode: in.AuthCode, StoreID: in.StoreID, TerminalID: in.TerminalID, OperatorID: in.OperatorID,
		TimeoutSeconds: in.TimeoutSeconds, NotifyURL: in.NotifyURL, Metadata: in.Metadata,
	}
	if hold {
		// The server's write timeout is shorter than the longest charge.
		timeout := payment.DefaultChargeTimeout
		if in.TimeoutSeconds > 0 {
			timeout = time.Duration(in.TimeoutSeconds) * time.Second
		}
		_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(timeout + chargeWriteMargin))
	}
	o, _, err := s.svc.Charge(c.Request.Context(), clientOf(c).AppID, req, hold)
	if err != nil {
		writeError(c, err)
		return
	}
	status := http.StatusOK
	if o.Status == payment.StatusPending {
		status = http.StatusAccepted
	}
	c.JSON(status, s.view(o))
}
