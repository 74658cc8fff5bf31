package payment

import (
	"context"
	"net/url"
	"time"
)

// Queries are the reads and writes a Store offers, both on its own (each call commits by
// itself) and inside Store.Tx. Every method returns ErrNotFound, ErrDuplicate or ErrStale
// (compare with errors.Is) or an uncoded error for a failure of the database itself.
type Queries interface {
	DeliveryQueries  // webhook delivery state of the outbox (outbox.go)
	ReconcileQueries // claiming due orders and refunds (outbox.go)
	RelayQueries     // cursors of outbox relays, e.g. NATS (relay.go)
	DepthQueries     // queue sizes for monitoring (depth.go)
	ReconQueries     // reconciliation runs and discrepancies (recon.go)

	// Clients.
	InsertMerchant(ctx context.Context, c *Merchant) error
	GetMerchant(ctx context.Context, appID string) (*Merchant, error)
	UpdateMerchant(ctx context.Context, c *Merchant) error
	ListMerchants(ctx context.Context) ([]*Merchant, error)

	// UseNonce records (appID, nonce) until expiresAt. ErrDuplicate when it is already
	// recorded and not yet expired (a replay).
	UseNonce(ctx context.Context, appID, nonce string, now, expiresAt time.Time) error
	// PurgeNonces forgets nonces that expired before now; returns how many.
	PurgeNonces(ctx context.Context, now time.Time) (int64, error)

	// Orders. InsertOrder sets o.ID and o.Version=1; ErrDuplicate on a taken out_trade_no or
	// cashier token. UpdateOrder writes every mutable field where id and version match,
	// bumps o.Version, and returns ErrStale when the row changed since it was read.
	InsertOrder(ctx context.Context, o *Order) error
	GetOrder(ctx context.Context, outTradeNo string) (*Order, error)
	GetOrderByToken(ctx context.Context, token string) (*Order, error)
	UpdateOrder(ctx context.Context, o *Order) error
	ListOrders(ctx context.Context, f OrderFilter) ([]*Order, error)
	// DueOrders returns up to limit orders with NextCheckAt <= now, earliest first.
	DueOrders(ctx context.Context, now time.Time, limit int) ([]*Order, error)

	// Refunds. Same conventions as orders; unique (out_trade_no, refund_no).
	InsertRefund(ctx context.Context, r *Refund) error
	GetRefund(ctx context.Context, outTradeNo, refundNo string) (*Refund, error)
	UpdateRefund(ctx context.Context, r *Refund) error
	ListRefunds(ctx context.Context, outTradeNo string) ([]*Refund, error)
	DueRefunds(ctx context.Context, now time.Time, limit int) ([]*Refund, error)

	// Events. InsertEvent sets e.Seq; ErrDuplicate when e.Key or e.ID exists.
	InsertEvent(ctx context.Context, e *Event) error
	GetEvent(ctx context.Context, id string) (*Event, error)
	// ListEvents returns the client's events with Seq > after, ascending, up to limit.
	// An empty clientID lists every client's.
	ListEvents(ctx context.Context, clientID string, after int64, limit int) ([]*Event, error)
	ListOrderEvents(ctx context.Context, outTradeNo string) ([]*Event, error)

	// Audit.
	InsertNotification(ctx context.Context, n *NotificationRecord) error
	ListNotifications(ctx context.Context, outTradeNo string, limit int) ([]*NotificationRecord, error)
	// ListNotificationsByTrust lists an order's notifications whose signature verified
	// (verified) or did not, newest first, up to limit; CountNotifications counts them. An
	// order's timeline lists the verified ones and counts the others (docs/security.md).
	ListNotificationsByTrust(ctx context.Context, outTradeNo string, verified bool, limit int) ([]*NotificationRecord, error)
	CountNotifications(ctx context.Context, outTradeNo string, verified bool) (int64, error)
	InsertChannelCall(ctx context.Context, c *ChannelCall) error
	ListChannelCalls(ctx context.Context, outTradeNo string, limit int) ([]*ChannelCall, error)
}

// OrderFilter selects orders for listing, newest first (descending ID).
type OrderFilter struct {
	ClientID string // empty: all clients (console)
	Status   Status // empty: any
	Before   int64  // cursor: only IDs below it; 0 = from the newest
	Limit    int
	Search   string    // exact out_trade_no or trade_no (console)
	From, To time.Time // created_at range, zero = open
}

// Store is the port to the database. Tx runs fn in one transaction that no other writer
// interleaves with (SQLite: BEGIN IMMEDIATE; PostgreSQL: row locks), committing when fn
// returns nil and rolling back otherwise.
type Store interface {
	Queries
	Tx(ctx context.Context, fn func(q Queries) error) error
	Ping(ctx context.Context) error
	Close() error
}

// TradeStatus is Alipay's trade_status.
type TradeStatus string

// Alipay trade states; TradeNotExist stands for ACQ.TRADE_NOT_EXIST (not scanned yet).
const (
	TradeNotExist     TradeStatus = "NOT_EXIST"
	TradeWaitBuyerPay TradeStatus = "WAIT_BUYER_PAY"
	TradeSuccess      TradeStatus = "TRADE_SUCCESS"
	TradeClosed       TradeStatus = "TRADE_CLOSED"
	TradeFinished     TradeStatus = "TRADE_FINISHED"
)

// Paid reports whether the status means the buyer paid.
func (s TradeStatus) Paid() bool { return s == TradeSuccess || s == TradeFinished }

// PrecreateRequest is what the gateway sends to alipay.trade.precreate.
type PrecreateRequest struct {
	OutTradeNo  string
	TotalAmount Amount
	Subject     string
	Body        string
	ExpiresAt   time.Time // sent as time_expire so the QR dies with the order
	NotifyURL   string
	// StoreID, TerminalID and OperatorID are sent as store_id, terminal_id, operator_id.
	StoreID, TerminalID, OperatorID string
}

// Trade is Alipay's view of a trade (alipay.trade.query).
type Trade struct {
	Status       TradeStatus
	OutTradeNo   string
	TradeNo      string
	TotalAmount  Amount
	BuyerID      string
	BuyerLogonID string
	PaidAt       *time.Time
}

// RefundRequest is what the gateway sends to alipay.trade.refund.
type RefundRequest struct {
	OutTradeNo string
	RefundNo   string // out_request_no
	Amount     Amount
	Reason     string
}

// RefundResult is Alipay's answer to a refund or a refund query.
type RefundResult struct {
	Found       bool   // refund query: false = Alipay has no such refund (not refunded)
	Succeeded   bool   // money moved (fund_change=Y, REFUND_SUCCESS, or an idempotent repeat)
	RefundFee   Amount // refund: cumulative refunded total of the trade
	Amount      Amount // refund query: this refund's amount
	SucceededAt *time.Time
	// Accepted: the channel took the refund and settles it later by itself (WeChat Pay's
	// PROCESSING); the refund is answered pending, not as an unknown outcome, and its
	// notification or the reconciler's refund query completes it.
	Accepted bool
}

// Notification is a verified Alipay async notification (notify_type=trade_status_sync).
type Notification struct {
	NotifyID     string
	AppID        string
	SellerID     string
	OutTradeNo   string
	TradeNo      string
	TradeStatus  TradeStatus
	TotalAmount  Amount
	BuyerID      string
	BuyerLogonID string
	OutBizNo     string // refund notifications: the refund's out_request_no
	RefundFee    Amount // cumulative refunded total; 0 when absent
	HasRefund    bool   // refund_fee or out_biz_no or gmt_refund present
	GmtPayment   *time.Time
	GmtRefund    *time.Time
	GmtClose     *time.Time
}

// Channel is the port to Alipay (docs/architecture.md). Every method returns nil,
// an *Error with CodeUpstreamRejected (Alipay's business answer, with its codes) or
// CodeUpstreamUnavailable (outcome unknown: transport error, timeout, 20000, ACQ.SYSTEM_ERROR).
type Channel interface {
	// Precreate asks for a QR. The same request again yields the same QR.
	Precreate(ctx context.Context, r PrecreateRequest) (qrCode string, err error)
	// Query returns the trade; Status TradeNotExist (and nil error) before a buyer scans.
	Query(ctx context.Context, outTradeNo string) (*Trade, error)
	// Refund asks for a refund; repeat with the same RefundNo and Amount is idempotent.
	Refund(ctx context.Context, r RefundRequest) (*RefundResult, error)
	// RefundQuery asks about one refund; Found=false means Alipay did not refund it.
	RefundQuery(ctx context.Context, outTradeNo, refundNo string) (*RefundResult, error)
	// Close ends an unpaid trade so that its QR can no longer be paid, scanned or not
	// (alipay.trade.close, or alipay.trade.cancel before a scan). A paid trade gives
	// UPSTREAM_REJECTED with AlipaySubCode ACQ.TRADE_STATUS_ERROR.
	Close(ctx context.Context, outTradeNo string) error
	// VerifyNotification checks the signature of a notification form and parses it.
	// A bad signature or malformed form is an *Error with CodeUnauthorized or
	// CodeInvalidParameter.
	VerifyNotification(form url.Values) (*Notification, error)
	// AppID and SellerID identify the Alipay account this channel speaks for;
	// SellerID may be empty when not configured.
	AppID() string
	SellerID() string
}

// Admitter is implemented by a Channel that can refuse a new money movement before any work
// is done: the circuit breaker around Alipay (docs/decisions.md, "Circuit breaker"). Create
// asks it before it writes a new order, so that a refused create leaves nothing behind.
// AdmitNew returns nil, or the error to answer with (UPSTREAM_UNAVAILABLE with RetryAfter).
type Admitter interface {
	AdmitNew() error
}

// Clock tells the time; tests pin it.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Now reads c in UTC at microsecond precision, the precision every store keeps.
func Now(c Clock) time.Time { return c.Now().UTC().Truncate(time.Microsecond) }
