package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Order kinds (Payment.Kind).
const (
	KindQR      = "qr"      // the buyer scans the order's QR (Create)
	KindBarcode = "barcode" // the till scanned the buyer's payment code (Charge)
)

// ChargeRequest is a barcode payment: the till scanned the buyer's payment code
// (docs/api.md, "POST /api/v1/payment/charge").
type ChargeRequest struct {
	OutTradeNo     string            `json:"out_trade_no"`
	TotalAmount    string            `json:"total_amount"`
	Subject        string            `json:"subject"`
	AuthCode       string            `json:"auth_code"` // the buyer's payment code, 16–24 digits
	Body           string            `json:"body,omitempty"`
	StoreID        string            `json:"store_id,omitempty"`
	TerminalID     string            `json:"terminal_id,omitempty"`
	OperatorID     string            `json:"operator_id,omitempty"`
	TimeoutSeconds int               `json:"timeout_seconds,omitempty"` // 10–120; 0 = the gateway's 60
	NotifyURL      string            `json:"notify_url,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
}

// ChargeOptions tune Charge.
type ChargeOptions struct {
	// NoWait answers at once with the pending order (?wait=0); Query with Wait, or the
	// webhooks, then tell the end.
	NoWait bool
}

// chargeMargin is how much longer than the charge's timeout Charge waits for the answer:
// the cancel at the deadline.
const chargeMargin = 45 * time.Second

// Charge takes a barcode payment: the gateway calls Alipay's alipay.trade.pay once and,
// unless opts.NoWait, answers when the charge has settled: StatusPaid; StatusClosed (the
// buyer did not confirm in time; cancelled); StatusRefunded (paid, then given back by the
// cancel); StatusPending only with NoWait or while the cancel has no answer yet. The same
// request again returns the same order and never charges twice. Errors: *Error with
// PAYMENT_FAILED (Alipay refused: AlipaySubCode, e.g. ACQ.BUYER_BALANCE_NOT_ENOUGH),
// INVALID_PARAMETER, CONFLICT, UPSTREAM_UNAVAILABLE (refused before any charge; safe to
// repeat), and the transport's errors.
func (c *Client) Charge(ctx context.Context, req ChargeRequest, opts ChargeOptions) (*Payment, error) {
	q := url.Values{}
	cc := c
	if opts.NoWait {
		q.Set("wait", "0")
	} else if c.hc.Timeout > 0 {
		// Hold the connection for the whole charge, whatever the client's own timeout.
		hold := time.Duration(req.TimeoutSeconds) * time.Second
		if hold == 0 {
			hold = 60 * time.Second
		}
		hc := *c.hc
		hc.Timeout = max(hc.Timeout, hold+chargeMargin)
		dup := *c
		dup.hc = &hc
		cc = &dup
	}
	var p Payment
	if _, err := cc.do(ctx, http.MethodPost, "/api/v1/payment/charge", q, req, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
