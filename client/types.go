package client

import (
	"encoding/json"
	"time"
)

// Status is an order's state (docs/api.md, "Payment"). A partial refund leaves an order
// paid, with a non-zero RefundedAmount.
type Status string

// Order statuses.
const (
	StatusPending  Status = "pending"  // QR issued, not paid
	StatusPaid     Status = "paid"     // paid; partial refunds keep it here
	StatusClosed   Status = "closed"   // never paid: closed or expired
	StatusRefunded Status = "refunded" // paid, then refunded in full
)

// Refund statuses.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// Event types.
const (
	EventPaymentSucceeded = "payment.succeeded"
	EventPaymentClosed    = "payment.closed"
	EventRefundSucceeded  = "refund.succeeded"
	EventRefundFailed     = "refund.failed"
	// EventReconciliationCompleted: a day was reconciled against Alipay's bill; sent to
	// every enabled client, its data is the run's counts and totals.
	EventReconciliationCompleted = "reconciliation.completed"
)

// Payment is an order as the gateway reports it. Money is a string in yuan with two
// decimals ("9.90").
type Payment struct {
	OutTradeNo     string            `json:"out_trade_no"`
	Channel        string            `json:"channel"` // alipay or wechat
	TotalAmount    string            `json:"total_amount"`
	Subject        string            `json:"subject"`
	Body           string            `json:"body"`
	Status         Status            `json:"status"`
	TradeNo        string            `json:"trade_no"`
	BuyerLogonID   string            `json:"buyer_logon_id"`
	QRCode         string            `json:"qr_code"`
	CashierURL     string            `json:"cashier_url"`
	QRImageURL     string            `json:"qr_image_url"`
	RefundedAmount string            `json:"refunded_amount"`
	CreatedAt      time.Time         `json:"created_at"`
	ExpiresAt      time.Time         `json:"expires_at"`
	PaidAt         *time.Time        `json:"paid_at"`
	ClosedAt       *time.Time        `json:"closed_at"`
	Metadata       map[string]string `json:"metadata"`
	// Late is true on a payment that arrived after the order was closed.
	Late bool `json:"late,omitempty"`
	// Kind is KindQR or KindBarcode (Charge); a barcode order has no QR fields.
	Kind string `json:"kind,omitempty"`
	// FailureReason is Alipay's reason when it refused a barcode charge.
	FailureReason string `json:"failure_reason,omitempty"`
	// StoreID, TerminalID and OperatorID are the create request's, when it gave them.
	StoreID    string `json:"store_id,omitempty"`
	TerminalID string `json:"terminal_id,omitempty"`
	OperatorID string `json:"operator_id,omitempty"`
}

// CreateRequest asks for a new order. OutTradeNo (1-64 of [A-Za-z0-9_]), TotalAmount and
// Subject (none of / = &) are required; TimeoutMinutes is 1-120, 0 means the gateway's
// default.
type CreateRequest struct {
	OutTradeNo     string            `json:"out_trade_no"`
	TotalAmount    string            `json:"total_amount"`
	Subject        string            `json:"subject"`
	Body           string            `json:"body,omitempty"`
	TimeoutMinutes int               `json:"timeout_minutes,omitempty"`
	NotifyURL      string            `json:"notify_url,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	// Channel is "alipay" (the default when empty) or "wechat" (WeChat Pay Native).
	Channel string `json:"channel,omitempty"`
	// StoreID, TerminalID and OperatorID (each ≤ 32 of [A-Za-z0-9_-], operator_id ≤ 28)
	// go to Alipay with the order and come back in the Payment.
	StoreID    string `json:"store_id,omitempty"`
	TerminalID string `json:"terminal_id,omitempty"`
	OperatorID string `json:"operator_id,omitempty"`
}

// Refund is one refund of an order.
type Refund struct {
	RefundNo      string     `json:"refund_no"`
	OutTradeNo    string     `json:"out_trade_no"`
	RefundAmount  string     `json:"refund_amount"`
	Reason        string     `json:"reason"`
	Status        string     `json:"status"`
	FailureReason string     `json:"failure_reason"`
	CreatedAt     time.Time  `json:"created_at"`
	SucceededAt   *time.Time `json:"succeeded_at"`
}

// RefundRequest asks for a refund; the same RefundNo again is idempotent.
type RefundRequest struct {
	OutTradeNo   string `json:"out_trade_no"`
	RefundNo     string `json:"refund_no"`
	RefundAmount string `json:"refund_amount"`
	Reason       string `json:"reason,omitempty"`
}

// Event is a change the gateway reports, as listed by Events and posted to webhooks.
// Data holds a Payment (payment.*) or a Refund (refund.*).
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Payment decodes the data of a payment.* event.
func (e *Event) Payment() (*Payment, error) {
	var p Payment
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Refund decodes the data of a refund.* event.
func (e *Event) Refund() (*Refund, error) {
	var r Refund
	if err := json.Unmarshal(e.Data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// PaymentList is one page of orders, newest first.
type PaymentList struct {
	Data    []Payment `json:"data"`
	HasMore bool      `json:"has_more"`
	// NextCursor is passed as ListOptions.Cursor for the next page; empty on the last.
	NextCursor string `json:"next_cursor"`
}

// EventList is one page of events, oldest first.
type EventList struct {
	Data    []Event `json:"data"`
	HasMore bool    `json:"has_more"`
	// NextAfter is passed as after to read on; it stays put when nothing new was listed.
	NextAfter int64 `json:"next_after"`
}

// QueryOptions tune Query.
type QueryOptions struct {
	// Sync asks Alipay for the order's state before answering.
	Sync bool
	// Wait holds the answer until the order leaves pending or this long passes (at most
	// 60 s, rounded up to whole seconds). The HTTP client's timeout must allow for it.
	Wait time.Duration
}

// ListOptions filter and page List.
type ListOptions struct {
	Status Status // "" = any
	Limit  int    // 0 = the server's default (20); at most 100
	Cursor string // the NextCursor of the previous page
}
