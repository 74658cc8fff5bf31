package wechatpay

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// ChannelName is the name orders of this channel carry ("channel":"wechat").
const ChannelName = payment.ChannelWeChat

// Channel adapts a Client to the core's channel port (payment.Channel), so that the payment
// core runs WeChat Pay orders with the same state machine as Alipay's. It maps WeChat Pay's
// states onto the port's (docs/decisions.md, "WeChat Pay channel"):
//
//	trade_state SUCCESS, REFUND             → TRADE_SUCCESS (paid; refunds are tracked one by one)
//	trade_state NOTPAY, USERPAYING          → WAIT_BUYER_PAY
//	trade_state CLOSED, REVOKED, PAYERROR   → TRADE_CLOSED (never paid)
//	ORDER_NOT_EXIST                         → NOT_EXIST
//	refund SUCCESS                          → found, succeeded
//	refund PROCESSING, ABNORMAL             → found, not succeeded (stays pending)
//	refund CLOSED                           → not found by a query; a refund call answered CLOSED is rejected
//	RESOURCE_NOT_EXISTS (refund query)      → not found
//	close answered ORDERPAID                → UPSTREAM_REJECTED marked as the port's "trade status" refusal
//
// and its errors onto the core's: an unknown outcome is UPSTREAM_UNAVAILABLE, a business
// refusal UPSTREAM_REJECTED (ToPayment).
type Channel struct {
	c         *Client
	notifyURL string
}

// NewChannel wraps c; notifyURL is where WeChat Pay sends this gateway's notifications
// ({public_url}/notify/wechat). The port's PrecreateRequest.NotifyURL names Alipay's
// endpoint, so the channel uses its own.
func NewChannel(c *Client, notifyURL string) *Channel {
	return &Channel{c: c, notifyURL: notifyURL}
}

var _ payment.Channel = (*Channel)(nil)

// Client returns the APIv3 client the channel calls.
func (ch *Channel) Client() *Client { return ch.c }

// NotifyURL returns where the channel asks WeChat Pay to send notifications.
func (ch *Channel) NotifyURL() string { return ch.notifyURL }

// AppID is the AppID orders are placed for.
func (ch *Channel) AppID() string { return ch.c.appID }

// SellerID is the merchant id (mchid); notifications for another are refused.
func (ch *Channel) SellerID() string { return ch.c.mchID }

// maxDescription is the length of WeChat Pay's description, in characters.
const maxDescription = 127

// Precreate places a Native order and returns its code_url. The order's subject is the
// description (cut to WeChat Pay's 127 characters; payment.ValidateForWeChat refuses longer
// ones before an order is written).
func (ch *Channel) Precreate(ctx context.Context, r payment.PrecreateRequest) (string, error) {
	desc := r.Subject
	if utf8.RuneCountInString(desc) > maxDescription {
		desc = string([]rune(desc)[:maxDescription])
	}
	code, err := ch.c.NativePrepay(ctx, NativeRequest{OutTradeNo: r.OutTradeNo, Description: desc,
		Total: r.TotalAmount, ExpiresAt: r.ExpiresAt, NotifyURL: ch.notifyURL})
	return code, ToPayment(err)
}

// Query reads the order; an order WeChat Pay does not know is NOT_EXIST, not an error.
func (ch *Channel) Query(ctx context.Context, outTradeNo string) (*payment.Trade, error) {
	t, err := ch.c.QueryByOutTradeNo(ctx, outTradeNo)
	if ErrorCode(err) == "ORDER_NOT_EXIST" {
		return &payment.Trade{Status: payment.TradeNotExist, OutTradeNo: outTradeNo}, nil
	}
	if err != nil {
		return nil, ToPayment(err)
	}
	return tradeOf(t), nil
}

// tradeOf maps a transaction onto the port's trade.
func tradeOf(t *Transaction) *payment.Trade {
	out := &payment.Trade{Status: tradeStatus(t.State), OutTradeNo: t.OutTradeNo, TradeNo: t.TransactionID,
		TotalAmount: t.Total, BuyerID: t.PayerOpenID}
	if t.State.Paid() {
		out.PaidAt = t.SuccessTime
	}
	return out
}

func tradeStatus(s TradeState) payment.TradeStatus {
	switch s {
	case TradeSuccess, TradeRefund:
		return payment.TradeSuccess
	case TradeNotPay, TradeUserPaying:
		return payment.TradeWaitBuyerPay
	}
	return payment.TradeClosed // CLOSED, REVOKED, PAYERROR: never paid
}

// Refund asks for a refund with out_refund_no = RefundNo. APIv3 wants the order's total
// with every refund, which the port does not carry: the channel reads it from a query first
// (an unknown query is an unknown refund, nothing sent). An answer of CLOSED is rejected,
// so the core fails the refund; PROCESSING is accepted but not yet succeeded.
func (ch *Channel) Refund(ctx context.Context, r payment.RefundRequest) (*payment.RefundResult, error) {
	t, err := ch.c.QueryByOutTradeNo(ctx, r.OutTradeNo)
	if err != nil {
		if ErrorCode(err) == "ORDER_NOT_EXIST" {
			return nil, payment.Errorf(payment.CodeUpstreamRejected, "wechat pay refund rejected: the order does not exist at WeChat Pay")
		}
		return nil, ToPayment(err)
	}
	if !t.State.Paid() {
		return nil, payment.Errorf(payment.CodeUpstreamRejected, "wechat pay refund rejected: the order is %s at WeChat Pay", t.State)
	}
	rf, err := ch.c.CreateRefund(ctx, RefundRequest{OutTradeNo: r.OutTradeNo, OutRefundNo: r.RefundNo,
		Refund: r.Amount, Total: t.Total, Reason: truncateRunes(r.Reason, 80), NotifyURL: ch.notifyURL})
	if err != nil {
		return nil, ToPayment(err)
	}
	if rf.Status == RefundClosed {
		return nil, payment.Errorf(payment.CodeUpstreamRejected, "wechat pay refund rejected: refund %s is CLOSED", r.RefundNo)
	}
	return refundResult(rf), nil
}

// RefundQuery reads one refund; RESOURCE_NOT_EXISTS and CLOSED are "not refunded".
func (ch *Channel) RefundQuery(ctx context.Context, outTradeNo, refundNo string) (*payment.RefundResult, error) {
	rf, err := ch.c.QueryRefund(ctx, outTradeNo, refundNo)
	if ErrorCode(err) == "RESOURCE_NOT_EXISTS" {
		return &payment.RefundResult{Found: false}, nil
	}
	if err != nil {
		return nil, ToPayment(err)
	}
	if rf.Status == RefundClosed {
		return &payment.RefundResult{Found: false}, nil
	}
	return refundResult(rf), nil
}

func refundResult(rf *Refund) *payment.RefundResult {
	out := &payment.RefundResult{Found: true, Succeeded: rf.Status == RefundSuccess, Amount: rf.Refund,
		Accepted: rf.Status == RefundProcessing || rf.Status == RefundAbnormal}
	if out.Succeeded {
		out.SucceededAt = rf.SuccessTime
	}
	return out
}

// tradeStatusRefusal is the port's mark of a close refused because the trade was paid
// (payment.Channel's Close): the core then queries the order and records the payment.
const tradeStatusRefusal = "ACQ.TRADE_STATUS_ERROR"

// Close closes an unpaid order; WeChat Pay answers ORDERPAID for a paid one, which is
// given to the core as the port's trade-status refusal, with WeChat Pay's code in the message.
func (ch *Channel) Close(ctx context.Context, outTradeNo string) error {
	err := ch.c.CloseOrder(ctx, outTradeNo)
	if ErrorCode(err) == "ORDERPAID" {
		e := payment.Errorf(payment.CodeUpstreamRejected, "wechat pay close rejected: ORDERPAID, the order is paid")
		e.AlipaySubCode, e.AlipaySubMsg = tradeStatusRefusal, "ORDERPAID"
		return e
	}
	return ToPayment(err)
}

// VerifyNotification refuses a form: WeChat Pay's notifications are JSON with signed
// headers and go through VerifyHTTPNotification.
func (ch *Channel) VerifyNotification(url.Values) (*payment.Notification, error) {
	return nil, payment.Errorf(payment.CodeInvalidParameter, "a WeChat Pay notification is JSON with Wechatpay-* headers, not a form")
}

// VerifyHTTPNotification verifies, decrypts and maps a notification POSTed to
// /notify/wechat (payment.HTTPNotificationVerifier). A bad signature or an undecryptable
// resource is UNAUTHORIZED, a malformed one INVALID_PARAMETER. TRANSACTION.SUCCESS reports
// a payment; REFUND.SUCCESS a refund by out_refund_no (the core confirms it with a refund
// query); REFUND.CLOSED and REFUND.ABNORMAL only confirm the payment: the refund stays
// pending until the reconciler's refund query decides it.
func (ch *Channel) VerifyHTTPNotification(h http.Header, body []byte) (*payment.Notification, error) {
	n, err := ch.c.ParseNotification(h, body)
	if err != nil {
		return nil, ToPayment(err)
	}
	out := &payment.Notification{NotifyID: n.ID, AppID: ch.c.appID, SellerID: ch.c.mchID}
	switch {
	case n.Transaction != nil && n.EventType == EventTransactionSuccess:
		t := n.Transaction
		out.AppID, out.SellerID, out.OutTradeNo, out.TradeNo = t.AppID, t.MchID, t.OutTradeNo, t.TransactionID
		out.TradeStatus, out.TotalAmount, out.BuyerID, out.GmtPayment = payment.TradeSuccess, t.Total, t.PayerOpenID, t.SuccessTime
	case n.Refund != nil:
		r := n.Refund
		out.SellerID, out.OutTradeNo, out.TradeNo = r.MchID, r.OutTradeNo, r.TransactionID
		out.TradeStatus, out.TotalAmount = payment.TradeSuccess, r.Total
		if n.EventType == EventRefundSuccess {
			out.OutBizNo, out.HasRefund, out.RefundFee, out.GmtRefund = r.OutRefundNo, true, r.Refund, r.SuccessTime
		}
	default:
		return nil, payment.Errorf(payment.CodeInvalidParameter, "wechat pay event %s is not handled", truncate(n.EventType, 40))
	}
	return out, nil
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// String names the channel in logs.
func (ch *Channel) String() string { return fmt.Sprintf("wechatpay(%s)", ch.c.mchID) }
