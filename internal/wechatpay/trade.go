package wechatpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TradeState is a transaction's trade_state.
type TradeState string

// Trade states and their documented meanings. Native payments see SUCCESS, REFUND, NOTPAY
// and CLOSED; the other three occur only for payment-code (micropay) trades.
const (
	TradeSuccess    TradeState = "SUCCESS"    // 支付成功: paid
	TradeRefund     TradeState = "REFUND"     // 转入退款: paid, then (partly) refunded
	TradeNotPay     TradeState = "NOTPAY"     // 未支付: ordered, not paid (yet)
	TradeClosed     TradeState = "CLOSED"     // 已关闭: closed, can no longer be paid
	TradeRevoked    TradeState = "REVOKED"    // 已撤销: revoked (payment code only)
	TradeUserPaying TradeState = "USERPAYING" // 用户支付中: buyer entering a password (payment code only)
	TradePayError   TradeState = "PAYERROR"   // 支付失败: payment failed (payment code only)
)

// Paid reports whether the buyer paid (SUCCESS, or REFUND: paid and refunded since).
func (s TradeState) Paid() bool { return s == TradeSuccess || s == TradeRefund }

// Known reports whether s is one of the documented states.
func (s TradeState) Known() bool {
	switch s {
	case TradeSuccess, TradeRefund, TradeNotPay, TradeClosed, TradeRevoked, TradeUserPaying, TradePayError:
		return true
	}
	return false
}

// timeLayout is how APIv3 writes times: RFC 3339 with the zone, e.g. 2018-06-08T10:34:56+08:00.
const timeLayout = time.RFC3339

// beijing is the zone WeChat Pay writes its times in; China keeps no daylight saving.
var beijing = time.FixedZone("CST", 8*60*60)

// outTradeNoPattern is out_trade_no as documented: 6 to 32 digits, letters, _ - | *.
var outTradeNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{6,32}$`)

// NativeRequest is a Native order (the buyer scans code_url).
type NativeRequest struct {
	OutTradeNo  string
	Description string         // shown to the buyer; 1 to 127 characters
	Total       payment.Amount // amount.total, fen
	ExpiresAt   time.Time      // time_expire; zero leaves WeChat Pay's default
	NotifyURL   string         // where TRANSACTION.SUCCESS is sent; absolute http(s), no query
	Attach      string         // echoed back in queries and notifications; at most 128 bytes
}

type nativeBody struct {
	AppID       string    `json:"appid"`
	MchID       string    `json:"mchid"`
	Description string    `json:"description"`
	OutTradeNo  string    `json:"out_trade_no"`
	TimeExpire  string    `json:"time_expire,omitempty"`
	Attach      string    `json:"attach,omitempty"`
	NotifyURL   string    `json:"notify_url"`
	Amount      amountReq `json:"amount"`
}

type amountReq struct {
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// NativePrepay places a Native order (POST /v3/pay/transactions/native) and returns its
// code_url (weixin://wxpay/bizpayurl?pr=…). The same request again returns a usable code_url
// for the same order. Errors are *Error: OutcomeRejected for invalid input (not sent) or a
// refusal (ORDERPAID, ORDER_CLOSED, OUT_TRADE_NO_USED, PARAM_ERROR…), OutcomeUnknown otherwise.
func (c *Client) NativePrepay(ctx context.Context, r NativeRequest) (string, error) {
	if err := checkNative(r); err != nil {
		return "", &Error{Op: "native", Outcome: OutcomeRejected, Message: "not sent: " + err.Error()}
	}
	body := nativeBody{AppID: c.appID, MchID: c.mchID, Description: r.Description, OutTradeNo: r.OutTradeNo,
		Attach: r.Attach, NotifyURL: r.NotifyURL, Amount: amountReq{Total: int64(r.Total), Currency: "CNY"}}
	if !r.ExpiresAt.IsZero() {
		body.TimeExpire = r.ExpiresAt.In(beijing).Format(timeLayout)
	}
	var out struct {
		CodeURL string `json:"code_url"`
	}
	err := c.do(ctx, request{op: "native", method: http.MethodPost, path: "/v3/pay/transactions/native",
		body: body, outTradeNo: r.OutTradeNo}, &out)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(out.CodeURL, "weixin://") {
		return "", &Error{Op: "native", Status: http.StatusOK, Outcome: OutcomeUnknown, Message: "the answer has no code_url"}
	}
	return out.CodeURL, nil
}

func checkNative(r NativeRequest) error {
	switch n := utf8.RuneCountInString(r.Description); {
	case !outTradeNoPattern.MatchString(r.OutTradeNo):
		return errors.New("out_trade_no must be 6 to 32 of 0-9 A-Z a-z _ - | *")
	case n < 1 || n > 127 || !utf8.ValidString(r.Description):
		return errors.New("description must be 1 to 127 characters")
	case r.Total < 1:
		return errors.New("amount.total must be at least 1 fen")
	case len(r.Attach) > 128:
		return errors.New("attach is limited to 128 bytes")
	}
	u, err := url.Parse(r.NotifyURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return errors.New("notify_url must be an absolute http(s) URL without a query")
	}
	return nil
}

// QueryByOutTradeNo reads a transaction (GET /v3/pay/transactions/out-trade-no/{no}?mchid=).
// An order WeChat Pay does not know is an *Error with Code ORDER_NOT_EXIST (rejected); an
// answer for another order or merchant, or with an undocumented state, is OutcomeUnknown.
func (c *Client) QueryByOutTradeNo(ctx context.Context, outTradeNo string) (*Transaction, error) {
	if !outTradeNoPattern.MatchString(outTradeNo) {
		return nil, &Error{Op: "query", Outcome: OutcomeRejected, Message: "not sent: malformed out_trade_no"}
	}
	path := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo) + "?mchid=" + url.QueryEscape(c.mchID)
	var w wireTransaction
	if err := c.do(ctx, request{op: "query", method: http.MethodGet, path: path, outTradeNo: outTradeNo}, &w); err != nil {
		return nil, err
	}
	t, err := w.transaction()
	if err == nil && (t.OutTradeNo != outTradeNo || t.MchID != c.mchID) {
		err = errors.New("the answer is about another order or merchant")
	}
	if err != nil {
		return nil, &Error{Op: "query", Status: http.StatusOK, Outcome: OutcomeUnknown, Message: err.Error()}
	}
	return t, nil
}

// CloseOrder closes an unpaid order (POST …/out-trade-no/{no}/close, 204) so that its
// code_url can no longer be paid; closing a closed order succeeds again. A paid order is an
// *Error with Code ORDERPAID (rejected).
func (c *Client) CloseOrder(ctx context.Context, outTradeNo string) error {
	if !outTradeNoPattern.MatchString(outTradeNo) {
		return &Error{Op: "close", Outcome: OutcomeRejected, Message: "not sent: malformed out_trade_no"}
	}
	path := "/v3/pay/transactions/out-trade-no/" + url.PathEscape(outTradeNo) + "/close"
	return c.do(ctx, request{op: "close", method: http.MethodPost, path: path,
		body: map[string]string{"mchid": c.mchID}, outTradeNo: outTradeNo}, nil)
}

// parseTime reads an APIv3 time; "" gives nil.
func parseTime(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: want RFC 3339", field, truncate(s, 40))
	}
	t = t.UTC()
	return &t, nil
}
