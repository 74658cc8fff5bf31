package wechatpay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// RefundStatus is a refund's status (refund_status in notifications).
type RefundStatus string

// Refund statuses and their documented meanings.
const (
	RefundSuccess    RefundStatus = "SUCCESS"    // 退款成功: the money is back with the buyer
	RefundClosed     RefundStatus = "CLOSED"     // 退款关闭: closed, no money moved
	RefundProcessing RefundStatus = "PROCESSING" // 退款处理中: accepted, not settled yet
	RefundAbnormal   RefundStatus = "ABNORMAL"   // 退款异常: the buyer's card refused it; the merchant settles it by hand on the merchant platform
)

// Known reports whether s is one of the documented statuses.
func (s RefundStatus) Known() bool {
	switch s {
	case RefundSuccess, RefundClosed, RefundProcessing, RefundAbnormal:
		return true
	}
	return false
}

// outRefundNoPattern is out_refund_no as documented: up to 64 of digits, letters, _ - | * @.
var outRefundNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

// RefundRequest is a refund of (part of) a paid order.
type RefundRequest struct {
	OutTradeNo  string
	OutRefundNo string         // WeChat Pay refunds once per out_refund_no
	Refund      payment.Amount // amount.refund, fen
	Total       payment.Amount // amount.total: the order amount, fen (WeChat Pay checks it)
	Reason      string         // shown to the buyer; at most 80 characters
	NotifyURL   string         // where REFUND.* is sent; "" = the one set on the merchant platform
}

// Refund is WeChat Pay's view of a refund: the answer to a refund or a refund query, and
// the resource of a REFUND.* notification.
type Refund struct {
	RefundID            string
	OutRefundNo         string
	TransactionID       string
	OutTradeNo          string
	MchID               string // notifications only
	Channel             string // ORIGINAL, BALANCE, …
	UserReceivedAccount string
	Status              RefundStatus
	Refund              payment.Amount // amount.refund
	Total               payment.Amount // amount.total
	PayerRefund         payment.Amount
	PayerTotal          payment.Amount
	Currency            string
	CreateTime          *time.Time
	SuccessTime         *time.Time
}

type refundBody struct {
	OutTradeNo  string `json:"out_trade_no"`
	OutRefundNo string `json:"out_refund_no"`
	Reason      string `json:"reason,omitempty"`
	NotifyURL   string `json:"notify_url,omitempty"`
	Amount      struct {
		Refund   int64  `json:"refund"`
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// CreateRefund asks for a refund (POST /v3/refund/domestic/refunds). The answer usually says
// PROCESSING; the result comes by REFUND.* notification or QueryRefund. Repeating the same
// OutRefundNo with the same amounts refunds once. Errors are *Error: rejected for invalid input
// (not sent) or a refusal (NOT_ENOUGH, RESOURCE_NOT_EXISTS, INVALID_REQUEST…), unknown otherwise.
func (c *Client) CreateRefund(ctx context.Context, r RefundRequest) (*Refund, error) {
	if err := checkRefund(r); err != nil {
		return nil, &Error{Op: "refund", Outcome: OutcomeRejected, Message: "not sent: " + err.Error()}
	}
	var b refundBody
	b.OutTradeNo, b.OutRefundNo, b.Reason, b.NotifyURL = r.OutTradeNo, r.OutRefundNo, r.Reason, r.NotifyURL
	b.Amount.Refund, b.Amount.Total, b.Amount.Currency = int64(r.Refund), int64(r.Total), "CNY"
	return c.refundCall(ctx, request{op: "refund", method: http.MethodPost, path: "/v3/refund/domestic/refunds",
		body: b, outTradeNo: r.OutTradeNo}, r.OutRefundNo)
}

// QueryRefund reads one refund (GET /v3/refund/domestic/refunds/{out_refund_no}). A refund
// WeChat Pay does not know is an *Error with Code RESOURCE_NOT_EXISTS (rejected).
func (c *Client) QueryRefund(ctx context.Context, outTradeNo, outRefundNo string) (*Refund, error) {
	if !outRefundNoPattern.MatchString(outRefundNo) {
		return nil, &Error{Op: "refund_query", Outcome: OutcomeRejected, Message: "not sent: malformed out_refund_no"}
	}
	return c.refundCall(ctx, request{op: "refund_query", method: http.MethodGet,
		path: "/v3/refund/domestic/refunds/" + url.PathEscape(outRefundNo), outTradeNo: outTradeNo}, outRefundNo)
}

func (c *Client) refundCall(ctx context.Context, r request, outRefundNo string) (*Refund, error) {
	var w wireRefund
	if err := c.do(ctx, r, &w); err != nil {
		return nil, err
	}
	rf, err := w.refund()
	if err == nil && (rf.OutRefundNo != outRefundNo || (r.outTradeNo != "" && rf.OutTradeNo != r.outTradeNo)) {
		err = errors.New("the answer is about another refund")
	}
	if err != nil {
		return nil, &Error{Op: r.op, Status: http.StatusOK, Outcome: OutcomeUnknown, Message: err.Error()}
	}
	return rf, nil
}

func checkRefund(r RefundRequest) error {
	switch {
	case !outTradeNoPattern.MatchString(r.OutTradeNo):
		return errors.New("out_trade_no must be 6 to 32 of 0-9 A-Z a-z _ - | *")
	case !outRefundNoPattern.MatchString(r.OutRefundNo):
		return errors.New("out_refund_no must be 1 to 64 of 0-9 A-Z a-z _ - | * @")
	case r.Refund < 1 || r.Total < r.Refund:
		return errors.New("amount.refund must be at least 1 fen and at most amount.total")
	case len([]rune(r.Reason)) > 80:
		return errors.New("reason is limited to 80 characters")
	}
	if r.NotifyURL != "" {
		if u, err := url.Parse(r.NotifyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return errors.New("notify_url must be an absolute http(s) URL without a query")
		}
	}
	return nil
}

// wireRefund is the JSON of a refund answer and of a refund notification resource (which
// names the status refund_status and adds mchid).
type wireRefund struct {
	RefundID            string `json:"refund_id"`
	OutRefundNo         string `json:"out_refund_no"`
	TransactionID       string `json:"transaction_id"`
	OutTradeNo          string `json:"out_trade_no"`
	MchID               string `json:"mchid"`
	Channel             string `json:"channel"`
	UserReceivedAccount string `json:"user_received_account"`
	Status              string `json:"status"`
	RefundStatus        string `json:"refund_status"`
	CreateTime          string `json:"create_time"`
	SuccessTime         string `json:"success_time"`
	Amount              struct {
		Refund      *int64 `json:"refund"`
		Total       *int64 `json:"total"`
		PayerRefund int64  `json:"payer_refund"`
		PayerTotal  int64  `json:"payer_total"`
		Currency    string `json:"currency"`
	} `json:"amount"`
}

func (w wireRefund) refund() (*Refund, error) {
	st := RefundStatus(w.Status)
	if w.Status == "" {
		st = RefundStatus(w.RefundStatus)
	}
	switch {
	case w.OutRefundNo == "" || w.OutTradeNo == "" || w.RefundID == "":
		return nil, errors.New("refund without out_refund_no, out_trade_no or refund_id")
	case !st.Known():
		return nil, fmt.Errorf("undocumented refund status %q", truncate(string(st), 20))
	case w.Amount.Refund == nil || w.Amount.Total == nil || *w.Amount.Refund < 1 || *w.Amount.Total < *w.Amount.Refund:
		return nil, errors.New("refund without a consistent amount.refund and amount.total")
	}
	created, err := parseTime("create_time", w.CreateTime)
	if err != nil {
		return nil, err
	}
	done, err := parseTime("success_time", w.SuccessTime)
	if err != nil {
		return nil, err
	}
	return &Refund{RefundID: w.RefundID, OutRefundNo: w.OutRefundNo, TransactionID: w.TransactionID,
		OutTradeNo: w.OutTradeNo, MchID: w.MchID, Channel: w.Channel, UserReceivedAccount: w.UserReceivedAccount,
		Status: st, Refund: payment.Amount(*w.Amount.Refund), Total: payment.Amount(*w.Amount.Total),
		PayerRefund: payment.Amount(w.Amount.PayerRefund), PayerTotal: payment.Amount(w.Amount.PayerTotal),
		Currency: w.Amount.Currency, CreateTime: created, SuccessTime: done}, nil
}
