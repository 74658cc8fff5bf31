package wechat

import (
	"sort"
	"time"
)

// Trade states the simulator uses (WeChat Pay's trade_state).
const (
	stateNotPay  = "NOTPAY"
	stateSuccess = "SUCCESS"
	stateRefund  = "REFUND"
	stateClosed  = "CLOSED"
)

var stateDesc = map[string]string{stateNotPay: "订单未支付", stateSuccess: "支付成功", stateRefund: "转入退款", stateClosed: "订单已关闭"}

// codeURLPrefix is the real form of a Native code_url; its pr names the order.
const codeURLPrefix = "weixin://wxpay/bizpayurl?pr="

// Trade is a Native order as the simulator sees it (GET /sandbox/wechat/api/trades).
type Trade struct {
	MchID         string     `json:"mchid"`
	AppID         string     `json:"appid"`
	OutTradeNo    string     `json:"out_trade_no"`
	Description   string     `json:"description"`
	Attach        string     `json:"attach,omitempty"`
	NotifyURL     string     `json:"notify_url"`
	Total         int64      `json:"total"` // fen
	State         string     `json:"trade_state"`
	TransactionID string     `json:"transaction_id,omitempty"`
	PayerOpenID   string     `json:"payer_openid,omitempty"`
	CodeURL       string     `json:"code_url"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     time.Time  `json:"expires_at"` // already divided by TimeScale
	SuccessTime   *time.Time `json:"success_time,omitempty"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	Refunded      int64      `json:"refunded"` // accepted refunds, PROCESSING or SUCCESS
	Refunds       []Refund   `json:"refunds"`

	pr      string
	refunds []*Refund
}

// Refund is a refund as the simulator sees it.
type Refund struct {
	MchID         string     `json:"mchid"`
	OutTradeNo    string     `json:"out_trade_no"`
	TransactionID string     `json:"transaction_id"`
	OutRefundNo   string     `json:"out_refund_no"`
	RefundID      string     `json:"refund_id"`
	Reason        string     `json:"reason,omitempty"`
	NotifyURL     string     `json:"notify_url,omitempty"`
	Refund        int64      `json:"refund"`
	Total         int64      `json:"total"`
	Status        string     `json:"status"`
	Outside       bool       `json:"outside,omitempty"` // made on the merchant platform, not through the API
	CreatedAt     time.Time  `json:"create_time"`
	SuccessTime   *time.Time `json:"success_time,omitempty"`

	settleAt time.Time
	trade    *Trade
}

func tradeKey(mchID, outTradeNo string) string { return mchID + "\x00" + outTradeNo }

// snapshotLocked copies t for callers outside the lock.
func (t *Trade) snapshotLocked() Trade {
	c := *t
	c.refunds = nil
	c.Refunds = make([]Refund, 0, len(t.refunds))
	for _, r := range t.refunds {
		rc := *r
		rc.trade = nil
		c.Refunds = append(c.Refunds, rc)
	}
	return c
}

// expireLocked closes an unpaid order whose time is up. WeChat Pay sends no notification
// for it; a query then says CLOSED.
func (s *Sandbox) expireLocked(t *Trade, now time.Time) {
	if t.State == stateNotPay && !now.Before(t.ExpiresAt) {
		at := t.ExpiresAt
		t.State, t.ClosedAt = stateClosed, &at
	}
}

// payLocked is the buyer paying: SUCCESS, a transaction_id, and TRANSACTION.SUCCESS.
func (s *Sandbox) payLocked(t *Trade, openID string, now time.Time) error {
	s.expireLocked(t, now)
	switch t.State {
	case stateNotPay:
	case stateClosed:
		if t.ClosedAt != nil && t.ClosedAt.Equal(t.ExpiresAt) {
			return ErrExpired
		}
		return ErrConflict
	default:
		return ErrConflict
	}
	if openID == "" {
		openID = "o" + randomFrom(alnum+"_-", 27)
	}
	paid := now
	t.State, t.SuccessTime, t.PayerOpenID = stateSuccess, &paid, openID
	t.TransactionID = "42000" + randomFrom("0123456789", 5) + now.In(beijing).Format("20060102") + randomFrom("0123456789", 10)
	s.byTxn[t.TransactionID] = t
	s.notifyLocked(eventTransactionSuccess, t, nil, t.NotifyURL, now)
	return nil
}

// settleDueLocked moves every PROCESSING refund whose time has come to SUCCESS and
// notifies REFUND.SUCCESS.
func (s *Sandbox) settleDueLocked(now time.Time) {
	kept := s.processing[:0]
	for _, r := range s.processing {
		if now.Before(r.settleAt) {
			kept = append(kept, r)
			continue
		}
		done := now
		r.Status, r.SuccessTime = "SUCCESS", &done
		url := r.NotifyURL
		if url == "" {
			url = r.trade.NotifyURL
		}
		s.notifyLocked(eventRefundSuccess, r.trade, r, url, now)
	}
	clear(s.processing[len(kept):])
	s.processing = kept
}

// sweepLocked applies the passage of time: order expiry and refund settling.
func (s *Sandbox) sweepLocked(now time.Time) {
	for _, t := range s.trades {
		s.expireLocked(t, now)
	}
	s.settleDueLocked(now)
}

// Trades returns the orders of mchID ("" = all) and outTradeNo ("" = all), oldest first.
func (s *Sandbox) Trades(mchID, outTradeNo string) []Trade {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(s.now())
	out := []Trade{}
	for _, t := range s.trades {
		if (mchID == "" || t.MchID == mchID) && (outTradeNo == "" || t.OutTradeNo == outTradeNo) {
			out = append(out, t.snapshotLocked())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}
