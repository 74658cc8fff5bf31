package payment

import (
	"encoding/json"
	"time"
)

// Status is an order's state as the merchant sees it (docs/state-machine.md).
type Status string

// Order states.
const (
	StatusPending  Status = "pending"  // QR issued (or being issued), not paid
	StatusPaid     Status = "paid"     // paid; partial refunds keep it here
	StatusClosed   Status = "closed"   // never paid (closed or expired)
	StatusRefunded Status = "refunded" // paid, then refunded in full
)

// transitions is the order state machine. A late payment moves a closed order to paid.
var transitions = map[Status][]Status{
	StatusPending: {StatusPaid, StatusClosed},
	StatusClosed:  {StatusPaid},
	StatusPaid:    {StatusRefunded},
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Valid reports whether s is one of the four order states.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusPaid, StatusClosed, StatusRefunded:
		return true
	}
	return false
}

// Order is one Alipay face-to-face order.
type Order struct {
	ID             int64 // store-assigned; also the cursor for listing
	ClientID       string
	OutTradeNo     string
	Channel        string // ChannelAlipay or ChannelWeChat; "" (an older row) is Alipay
	TotalAmount    Amount
	Subject        string
	Body           string
	Status         Status
	TradeNo        string
	BuyerLogonID   string
	BuyerID        string
	QRCode         string // empty until precreate succeeded
	CashierToken   string // random, unique; the cashier page's key
	NotifyURL      string // webhook override for this order; empty = client's
	Metadata       map[string]string
	RefundedAmount Amount // sum of succeeded refunds
	TimeoutMinutes int
	// StoreID, TerminalID and OperatorID went to alipay.trade.precreate; "" = not given.
	StoreID, TerminalID, OperatorID string
	Late                            bool // paid after it was closed locally
	CreatedAt                       time.Time
	UpdatedAt                       time.Time
	ExpiresAt                       time.Time
	PaidAt                          *time.Time
	ClosedAt                        *time.Time
	Notified                        bool       // a verified notification arrived for it
	NextCheckAt                     *time.Time // reconciler: when to ask Alipay next; nil = nothing to do
	CheckCount                      int        // reconciler: queries made so far
	Version                         int64      // optimistic lock; stores bump it on every update

	// Barcode payment (charge.go). Kind is KindQR or KindBarcode and never changes. A barcode
	// order keeps the SHA-256 of the payment code it charged, never the code, and its
	// timeout in seconds (ExpiresAt is its settle deadline); FailureCode, FailureSubCode and
	// FailureReason are Alipay's code, sub code and sub message when Alipay refused it.
	Kind           Kind
	AuthCodeSHA256 string
	TimeoutSeconds int
	FailureCode    string
	FailureSubCode string
	FailureReason  string
}

// Kind is how the buyer pays an order.
type Kind string

// Order kinds.
const (
	KindQR      Kind = "qr"      // the buyer scans the merchant's QR (alipay.trade.precreate)
	KindBarcode Kind = "barcode" // the till scans the buyer's payment code (alipay.trade.pay)
)

// RefundStatus is the state of one refund request.
type RefundStatus string

// Refund states.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// Refund is one refund request against an order, identified by (OutTradeNo, RefundNo).
// RefundNo is sent to Alipay as out_request_no.
type Refund struct {
	ID            int64
	ClientID      string
	OutTradeNo    string
	RefundNo      string
	Amount        Amount
	Reason        string
	Status        RefundStatus
	FailureReason string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SucceededAt   *time.Time
	NextCheckAt   *time.Time // reconciler: when to query a pending refund next
	CheckCount    int
	// AttemptedAt is when the last alipay.trade.refund for it was sent; nil = never sent.
	// A pending refund that was sent is failed only by a refund query asked at least
	// Config.RefundQueryDelay after it (docs/decisions.md, "A refund with an unknown answer").
	AttemptedAt *time.Time
	Version     int64
}

// Event types (docs/api.md, Event).
const (
	EventPaymentSucceeded = "payment.succeeded"
	EventPaymentClosed    = "payment.closed"
	EventRefundSucceeded  = "refund.succeeded"
	EventRefundFailed     = "refund.failed"
)

// Event is an outbox row: written in the same transaction as the change it reports.
// Key is unique per store ("payment.succeeded:<out_trade_no>", …), so a change can never be
// reported twice even if two code paths race.
type Event struct {
	ID         string // "evt_" + random
	Seq        int64  // store-assigned, increasing; the `after` cursor of the events API
	Type       string
	Key        string
	ClientID   string
	OutTradeNo string
	CreatedAt  time.Time
	Data       json.RawMessage // the payment or refund object, frozen at the time of the change
	// TraceParent is the W3C traceparent of the change that wrote the event ("" outside a
	// trace); its webhooks join that trace (docs/decisions.md, "Tracing").
	TraceParent string
}

// Merchant is a merchant system holding API credentials (an app id and secrets); the client/ package, `f2fpay client` and the console's clients page all manage or use one.
type Merchant struct {
	AppID        string
	Name         string
	SecretSealed string // the HMAC secret sealed by a SecretBox; never the plain secret
	// PrevSecretSealed stays valid until PrevSecretUntil after a rotation.
	PrevSecretSealed string
	PrevSecretUntil  *time.Time
	NotifyURL        string
	Disabled         bool
	RateLimit        float64 // requests per second; 0 = the server default
	RateBurst        int
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// WebhookSecretSealed is the sealed webhook secret (whsec_…), separate from the API
	// secret; "" for a client created before webhook secrets, until one is first needed.
	// PrevWebhookSecretSealed also signs webhooks until PrevWebhookSecretUntil.
	WebhookSecretSealed     string
	PrevWebhookSecretSealed string
	PrevWebhookSecretUntil  *time.Time
}

// NotificationRecord is the audit row of one POST /notify/alipay, accepted or not.
type NotificationRecord struct {
	ID          int64
	ReceivedAt  time.Time
	RemoteAddr  string
	NotifyID    string
	OutTradeNo  string
	TradeStatus string
	Raw         string // the form body as received; only its first UnverifiedKeepBytes when not Verified
	Verified    bool   // the signature checked out
	Outcome     string // "accepted", "duplicate", or "refused: <reason>"
	// RawLength is the size in bytes of the whole body (Raw may hold only its start) and
	// RawSHA256 its lowercase hex SHA-256, "" when not known (the body was not read whole,
	// or the row is older than these fields).
	RawLength int
	RawSHA256 string
}

// ChannelCall is a log row of one call to Alipay, for the order timeline.
type ChannelCall struct {
	ID         int64
	OutTradeNo string
	Method     string // alipay.trade.precreate, …
	Request    string // business parameters, no secrets
	Response   string // the answer or the error text
	Outcome    string // "ok", "rejected", "unknown"
	Duration   time.Duration
	CreatedAt  time.Time
}
