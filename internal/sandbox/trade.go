package sandbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Trade states as Alipay reports them; "" means precreated but not scanned (no trade yet).
const (
	StatusWaitBuyerPay  = "WAIT_BUYER_PAY"
	StatusTradeSuccess  = "TRADE_SUCCESS"
	StatusTradeClosed   = "TRADE_CLOSED"
	StatusTradeFinished = "TRADE_FINISHED"
)

// Errors returned by the buyer and control methods (Scan, Pay, FinishTrade, …).
var (
	ErrNotFound  = errors.New("sandbox: no such QR code or trade")
	ErrQRInvalid = errors.New("sandbox: QR code expired or cancelled")
	ErrState     = errors.New("sandbox: trade is not in a state that allows this")
	ErrInvalid   = errors.New("sandbox: invalid argument")
	ErrTooSoon   = errors.New("sandbox: too soon after the previous refund of this trade")
)

// alipayError is a control-API refusal that Alipay itself gives with sub code sub; it
// wraps one of the sentinel errors above, which picks the HTTP status.
type alipayError struct {
	sentinel error
	sub, msg string
}

func (e *alipayError) Error() string { return e.msg }
func (e *alipayError) Unwrap() error { return e.sentinel }

// Trade kinds: how the trade came to be.
const (
	kindQR      = "qr"      // alipay.trade.precreate: the buyer scans the merchant's QR
	kindBarcode = "barcode" // alipay.trade.pay: the till scans the buyer's payment code
)

// Trade is a precreated order as the simulator sees it. Status is "" until a buyer scans.
type Trade struct {
	AppID          string     `json:"app_id"`
	OutTradeNo     string     `json:"out_trade_no"`
	TradeNo        string     `json:"trade_no,omitempty"`
	Status         string     `json:"status"`
	TradeStatus    string     `json:"trade_status"`   // Status under Alipay's own name`
	Kind           string     `json:"kind,omitempty"` // "qr" (precreate) or "barcode" (trade.pay); "" for a number cancelled unseen
	TotalAmount    string     `json:"total_amount"`
	RefundedAmount string     `json:"refunded_amount"`
	Subject        string     `json:"subject"`
	Body           string     `json:"body,omitempty"`
	QRCode         string     `json:"qr_code"`
	QRToken        string     `json:"qr_token"`
	QRActive       bool       `json:"qr_active"`               // false once expired or cancelled
	QRExpiresAt    *time.Time `json:"qr_expires_at,omitempty"` // an unscanned QR dies then: min(expiry, 2 h after precreate)
	StoreID        string     `json:"store_id,omitempty"`
	TerminalID     string     `json:"terminal_id,omitempty"`
	OperatorID     string     `json:"operator_id,omitempty"`
	BuyerID        string     `json:"buyer_id,omitempty"`
	BuyerLogonID   string     `json:"buyer_logon_id,omitempty"`
	SellerID       string     `json:"seller_id"`
	NotifyURL      string     `json:"notify_url,omitempty"`
	LastPayOutcome string     `json:"last_pay_outcome,omitempty"` // success, cancel, insufficient_balance
	CreatedAt      time.Time  `json:"created_at"`
	ExpiresAt      time.Time  `json:"expires_at"`
	ScannedAt      *time.Time `json:"scanned_at,omitempty"`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	FinishedAt     *time.Time `json:"finished_at,omitempty"`
	Refunds        []Refund   `json:"refunds"`
}

// Refund is one completed refund of a trade.
type Refund struct {
	OutRequestNo string    `json:"out_request_no"`
	Amount       string    `json:"amount"`
	Reason       string    `json:"reason,omitempty"`
	RefundedAt   time.Time `json:"refunded_at"`
}

// record is the mutable state behind a Trade; guarded by Sandbox.mu.
type record struct {
	t          Trade
	total      int64 // fen
	refunded   int64 // fen
	dead       bool  // QR cancelled or expired unscanned
	updatedAt  time.Time
	signType   string    // the precreate's sign_type: notifications are signed the same way
	qrDeadline time.Time // an unscanned QR dies at min(ExpiresAt, qrDeadline)
	buyerLogon string    // the bound buyer's login, unmasked (a second buyer is refused)
	named      bool      // a buyer named themselves: the trade is bound to them
	lastRefund time.Time // when the last refund was applied (refund spacing)
}

func (r *record) snapshot() *Trade {
	t := r.t
	t.RefundedAmount = fen(r.refunded)
	t.TradeStatus = t.Status
	t.QRActive = t.Kind == kindQR && ((!r.dead && t.Status == "") || t.Status == StatusWaitBuyerPay)
	if t.Kind == kindQR {
		at := r.qrExpiry()
		t.QRExpiresAt = &at
	}
	t.Refunds = append([]Refund{}, r.t.Refunds...)
	return &t
}

// qrExpiry is when an unscanned QR dies: at the trade's expiry, but at most 2 h (scaled)
// after the precreate.
func (r *record) qrExpiry() time.Time {
	if r.qrDeadline.IsZero() || (!r.t.ExpiresAt.IsZero() && r.t.ExpiresAt.Before(r.qrDeadline)) {
		return r.t.ExpiresAt
	}
	return r.qrDeadline
}

func (r *record) refund(no string) *Refund {
	for i := range r.t.Refunds {
		if r.t.Refunds[i].OutRequestNo == no {
			return &r.t.Refunds[i]
		}
	}
	return nil
}

func recKey(appID, outTradeNo string) string { return appID + "\x00" + outTradeNo }

const alipayTimeLayout = "2006-01-02 15:04:05"

// shanghai is Asia/Shanghai; China has no DST, so a fixed zone needs no tzdata.
var shanghai = time.FixedZone("CST", 8*3600)

func fmtTime(t time.Time) string { return t.In(shanghai).Format(alipayTimeLayout) }

func fmtTimeMillis(t time.Time) string { return t.In(shanghai).Format("2006-01-02 15:04:05.000") }

// parseAmount reads a yuan amount (JSON string or number) as fen: at most 9 integer
// digits and 2 decimals, within [0.01, 100000000].
func parseAmount(s string) (int64, bool) {
	ip, fp, dot := strings.Cut(s, ".")
	if len(ip) < 1 || len(ip) > 9 || !digits(ip) || (dot && (len(fp) < 1 || len(fp) > 2 || !digits(fp))) {
		return 0, false
	}
	y, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return 0, false
	}
	for len(fp) < 2 {
		fp += "0"
	}
	f, _ := strconv.ParseInt(fp, 10, 64)
	v := y*100 + f
	return v, v >= 1 && v <= 100000000_00
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func fen(v int64) string { return fmt.Sprintf("%d.%02d", v/100, v%100) }

// randomToken returns n lowercase base-36 characters.
func randomToken(n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newTradeNoLocked returns a fresh 28-digit trade number: date, "22001", 15 random digits.
func (s *Sandbox) newTradeNoLocked(now time.Time) string {
	for {
		no := randomDigits(now.In(shanghai).Format("20060102")+"22001", 15)
		if s.byTradeNo[no] == nil {
			return no
		}
	}
}

// maskLogon masks a buyer login as Alipay shows it: 159****5620 or abc***@sandbox.com.
func maskLogon(id string) string {
	if local, domain, ok := strings.Cut(id, "@"); ok {
		l := []rune(local)
		return string(l[:min(3, len(l))]) + "***@" + domain
	}
	r := []rune(id)
	if len(r) >= 11 {
		return string(r[:3]) + "****" + string(r[len(r)-4:])
	}
	if len(r) > 2 {
		return string(r[:1]) + "***" + string(r[len(r)-1:])
	}
	return "***"
}

// findLocked resolves a biz selector: trade_no wins over out_trade_no.
func (s *Sandbox) findLocked(appID, tradeNo, outTradeNo string) *record {
	if tradeNo != "" {
		if r := s.byTradeNo[tradeNo]; r != nil && r.t.AppID == appID {
			return r
		}
		return nil
	}
	return s.recs[recKey(appID, outTradeNo)]
}
