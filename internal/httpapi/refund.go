package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// createRefundBody is the JSON of POST /refund.
type createRefundBody struct {
	OutTradeNo   string `json:"out_trade_no"`
	RefundNo     string `json:"refund_no"`
	RefundAmount string `json:"refund_amount"`
	Reason       string `json:"reason"`
}

// createRefund answers 200 with the refund, new or repeated: the core does not tell a new
// refund from an idempotent repeat by refund_no, and the refund object's status (pending,
// succeeded, failed) is what a caller acts on, so one status for both keeps clients simple.
func (s *server) createRefund(c *gin.Context) {
	var in createRefundBody
	if err := decodeStrict(bodyOf(c), &in); err != nil {
		writeError(c, err)
		return
	}
	amount, err := parseAmount("refund_amount", in.RefundAmount)
	if err != nil {
		writeError(c, err)
		return
	}
	r, err := s.svc.Refund(c.Request.Context(), clientOf(c).AppID, payment.RefundInput{
		OutTradeNo: in.OutTradeNo, RefundNo: in.RefundNo, Amount: amount, Reason: in.Reason,
	})
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, payment.RefundView(r))
}

// queryRefund answers one refund of one of the client's orders.
func (s *server) queryRefund(c *gin.Context) {
	r, err := s.svc.GetRefund(c.Request.Context(), clientOf(c).AppID, c.Param("out_trade_no"), c.Param("refund_no"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, payment.RefundView(r))
}
