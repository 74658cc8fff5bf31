package payment

import (
	"encoding/json"
	"time"
)

// PaymentObject is the payment as the merchant API and webhooks show it (docs/api.md, Objects).
type PaymentObject struct {
	OutTradeNo     string            `json:"out_trade_no"`
	Channel        string            `json:"channel"`
	TotalAmount    Amount            `json:"total_amount"`
	Subject        string            `json:"subject"`
	Body           string            `json:"body"`
	Status         Status            `json:"status"`
	TradeNo        string            `json:"trade_no"`
	BuyerLogonID   string            `json:"buyer_logon_id"`
	QRCode         string            `json:"qr_code"`
	CashierURL     string            `json:"cashier_url"`
	QRImageURL     string            `json:"qr_image_url"`
	RefundedAmount Amount            `json:"refunded_amount"`
	CreatedAt      time.Time         `json:"created_at"`
	ExpiresAt      time.Time         `json:"expires_at"`
	PaidAt         *time.Time        `json:"paid_at"`
	ClosedAt       *time.Time        `json:"closed_at"`
	Metadata       map[string]string `json:"metadata"`
	Late           bool              `json:"late,omitempty"`
	// Kind is "qr" or "barcode" (docs/api.md, "Barcode payment"); a barcode order has no QR,
	// so its qr_code, cashier_url and qr_image_url are empty.
	Kind Kind `json:"kind"`
	// FailureReason is Alipay's reason when it refused a barcode charge.
	FailureReason string `json:"failure_reason,omitempty"`
	StoreID       string `json:"store_id,omitempty"`
	TerminalID    string `json:"terminal_id,omitempty"`
	OperatorID    string `json:"operator_id,omitempty"`
}

// RefundObject is the refund as the merchant API and webhooks show it (docs/api.md, Objects).
type RefundObject struct {
	RefundNo      string       `json:"refund_no"`
	OutTradeNo    string       `json:"out_trade_no"`
	RefundAmount  Amount       `json:"refund_amount"`
	Reason        string       `json:"reason"`
	Status        RefundStatus `json:"status"`
	FailureReason string       `json:"failure_reason"`
	CreatedAt     time.Time    `json:"created_at"`
	SucceededAt   *time.Time   `json:"succeeded_at"`
}

// EventObject is an event as the events API lists it and the webhook posts it.
type EventObject struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// PaymentView renders o for a gateway reachable at publicURL.
func PaymentView(o *Order, publicURL string) PaymentObject {
	meta := o.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	cashier, qrImage, kind := publicURL+"/pay/"+o.CashierToken, "", o.Kind
	if kind == "" {
		kind = KindQR
	}
	if kind == KindBarcode {
		cashier = ""
	} else {
		qrImage = cashier + "/qr.png"
	}
	return PaymentObject{
		OutTradeNo: o.OutTradeNo, Channel: OrderChannel(o), TotalAmount: o.TotalAmount, Subject: o.Subject, Body: o.Body,
		Status: o.Status, TradeNo: o.TradeNo, BuyerLogonID: o.BuyerLogonID, QRCode: o.QRCode,
		CashierURL: cashier, QRImageURL: qrImage, RefundedAmount: o.RefundedAmount,
		CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt, PaidAt: o.PaidAt, ClosedAt: o.ClosedAt,
		Metadata: meta, Late: o.Late, Kind: kind, FailureReason: o.FailureReason,
		StoreID: o.StoreID, TerminalID: o.TerminalID, OperatorID: o.OperatorID,
	}
}

// RefundView renders r.
func RefundView(r *Refund) RefundObject {
	return RefundObject{
		RefundNo: r.RefundNo, OutTradeNo: r.OutTradeNo, RefundAmount: r.Amount, Reason: r.Reason,
		Status: r.Status, FailureReason: r.FailureReason, CreatedAt: r.CreatedAt, SucceededAt: r.SucceededAt,
	}
}

// EventView renders e; the body a webhook posts is json.Marshal(EventView(e)).
func EventView(e *Event) EventObject {
	return EventObject{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt, Data: e.Data}
}
