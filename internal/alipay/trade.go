package alipay

import (
	"context"
	"log/slog"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// productCode is the face-to-face product; precreate defaults to it, we say it anyway.
const productCode = "FACE_TO_FACE_PAYMENT"

// queryRsp adds buyer_id, which some answers carry instead of buyer_user_id.
type queryRsp struct {
	alipay.TradeQueryRsp
	BuyerID string `json:"buyer_id"`
}

// Precreate calls alipay.trade.precreate and returns the QR text. The order's expiry goes
// out as time_expire in Beijing time, so the QR dies with the order. Errors:
// UPSTREAM_REJECTED (e.g. ACQ.CONTEXT_INCONSISTENT), UPSTREAM_UNAVAILABLE.
func (c *Channel) Precreate(ctx context.Context, r payment.PrecreateRequest) (string, error) {
	p := alipay.TradePreCreate{Trade: alipay.Trade{
		NotifyURL:   r.NotifyURL,
		OutTradeNo:  r.OutTradeNo,
		TotalAmount: r.TotalAmount.String(),
		Subject:     r.Subject,
		Body:        r.Body,
		ProductCode: productCode,
		StoreId:     r.StoreID,
	}, TerminalId: r.TerminalID, OperatorId: r.OperatorID}
	if !r.ExpiresAt.IsZero() {
		p.TimeExpire = formatTime(r.ExpiresAt)
	}
	var rsp alipay.TradePreCreateRsp
	if err := c.call(ctx, r.OutTradeNo, p, &rsp, &rsp.Error); err != nil {
		return "", err
	}
	if rsp.QRCode == "" {
		return "", payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.precreate: success without qr_code")
	}
	return rsp.QRCode, nil
}

// Query calls alipay.trade.query. Before a buyer scans the QR there is no trade: the answer
// is Status TradeNotExist with a nil error. PaidAt is set for a paid trade, and for a
// TRADE_CLOSED one that was paid and then refunded in full. Errors: UPSTREAM_REJECTED, UPSTREAM_UNAVAILABLE
// (also for an answer that cannot be read, e.g. an unknown trade_status).
func (c *Channel) Query(ctx context.Context, outTradeNo string) (*payment.Trade, error) {
	var rsp queryRsp
	err := c.call(ctx, outTradeNo, alipay.TradeQuery{OutTradeNo: outTradeNo}, &rsp, &rsp.Error)
	if subCode(err) == subNotExist {
		return &payment.Trade{Status: payment.TradeNotExist, OutTradeNo: outTradeNo}, nil
	}
	if err != nil {
		return nil, err
	}
	t := &payment.Trade{
		Status:       payment.TradeStatus(rsp.TradeStatus),
		OutTradeNo:   rsp.OutTradeNo,
		TradeNo:      rsp.TradeNo,
		BuyerID:      rsp.BuyerUserId,
		BuyerLogonID: rsp.BuyerLogonId,
	}
	if t.OutTradeNo == "" {
		t.OutTradeNo = outTradeNo
	}
	if t.BuyerID == "" {
		t.BuyerID = rsp.BuyerID
	}
	switch t.Status {
	case payment.TradeWaitBuyerPay, payment.TradeSuccess, payment.TradeClosed, payment.TradeFinished:
	default:
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.query: unexpected trade_status %q", rsp.TradeStatus)
	}
	if t.TotalAmount, err = payment.ParseAmount(rsp.TotalAmount); err != nil {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.query: unreadable total_amount %q", rsp.TotalAmount)
	}
	// A trade paid and then refunded in full reads TRADE_CLOSED with its send_pay_date
	// still there: the date is what tells it from a trade closed unpaid
	// (docs/decisions.md, "A trade paid, then refunded in full at Alipay").
	if t.Status.Paid() || (t.Status == payment.TradeClosed && rsp.SendPayDate != "") {
		if t.PaidAt, err = parseTime(rsp.SendPayDate); err != nil {
			return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.query: send_pay_date: %v", err)
		}
	}
	return t, nil
}

// Close ends an unpaid trade so that its QR can no longer be paid. A scanned trade is
// closed with alipay.trade.close; an unscanned one (ACQ.TRADE_NOT_EXIST) is cancelled with
// alipay.trade.cancel, which kills the QR for good. An already closed trade is not an error.
// Errors: UPSTREAM_REJECTED with AlipaySubCode ACQ.TRADE_STATUS_ERROR when the trade is
// paid; other UPSTREAM_REJECTED; UPSTREAM_UNAVAILABLE.
func (c *Channel) Close(ctx context.Context, outTradeNo string) error {
	var rsp alipay.TradeCloseRsp
	err := c.call(ctx, outTradeNo, alipay.TradeClose{OutTradeNo: outTradeNo}, &rsp, &rsp.Error)
	switch subCode(err) {
	case "":
		return err
	case subNotExist:
		return c.cancel(ctx, outTradeNo)
	case subHasClose:
		return nil
	case subStatusError, "ACQ.REASON_TRADE_STATUS_INVALID", "ACQ.REASON_ILLEGAL_STATUS":
		return c.closeRefused(ctx, outTradeNo, err)
	}
	return err
}

// closeRefused finds out, by a query, why Alipay would not close the trade: closed already
// (fine) or paid (the rejection the service expects).
func (c *Channel) closeRefused(ctx context.Context, outTradeNo string, closeErr error) error {
	t, err := c.Query(ctx, outTradeNo)
	if err != nil {
		return err
	}
	switch {
	case t.Status == payment.TradeClosed:
		return nil
	case t.Status.Paid():
		return paidError(closeErr, "the trade is paid and cannot be closed; refund it instead")
	}
	return closeErr
}

// cancel runs alipay.trade.cancel on a trade nobody has scanned yet: Alipay closes it
// (action "close") and the QR can never be paid.
func (c *Channel) cancel(ctx context.Context, outTradeNo string) error {
	var rsp alipay.TradeCancelRsp
	err := c.call(ctx, outTradeNo, alipay.TradeCancel{OutTradeNo: outTradeNo}, &rsp, &rsp.Error)
	switch {
	case subCode(err) == subHasClose:
		return nil
	case err != nil:
		return err
	case rsp.RetryFlag == "Y":
		return payment.Errorf(payment.CodeUpstreamUnavailable, "alipay.trade.cancel: Alipay asks for a retry")
	case rsp.Action == "refund":
		// The buyer scanned and paid between our close and our cancel, and cancel refunded
		// the payment in full. Report it as a paid trade so the service looks at it.
		c.log.Error("alipay.trade.cancel refunded a trade paid meanwhile", slog.String("out_trade_no", outTradeNo))
		return paidError(nil, "the trade was paid meanwhile and alipay.trade.cancel refunded it in full; query it")
	}
	return nil
}

// paidError is the rejection Close gives for a paid trade.
func paidError(cause error, msg string) error {
	e := &payment.Error{Code: payment.CodeUpstreamRejected, Message: msg, AlipayCode: "40004", AlipaySubCode: subStatusError}
	if pe, ok := cause.(*payment.Error); ok {
		e.AlipayCode, e.AlipaySubMsg = pe.AlipayCode, pe.AlipaySubMsg
	}
	return e
}
