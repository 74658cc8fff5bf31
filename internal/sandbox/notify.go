package sandbox

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"time"
)

// Notification kinds; each maps to a switch in Faults.NotifyStates.
const (
	kindWaitPay    = "WAIT_BUYER_PAY" // buyer scanned (default off)
	kindPaid       = "TRADE_SUCCESS"  // payment
	kindRefund     = "REFUND"         // partial refund: trade_status TRADE_SUCCESS + refund fields
	kindFullRefund = "TRADE_CLOSED"   // full refund: trade_status TRADE_CLOSED + refund fields
	kindClosed     = "TRADE_CLOSED"   // close, cancel, timeout of a scanned trade
	kindFinished   = "TRADE_FINISHED" // refund window ended by FinishTrade
)

// retrySchedule is Alipay's spacing after each failed attempt: 8 attempts in about 25 h.
var retrySchedule = [...]time.Duration{4 * time.Minute, 10 * time.Minute, 10 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 15 * time.Hour}

const maxAttempts = len(retrySchedule) + 1

// reorderHold is how long notify_reorder holds a notification back so that a later one
// for the same trade overtakes it.
const reorderHold = time.Second

// NotifyAttempt is one delivery of an asynchronous notification, for inspection.
type NotifyAttempt struct {
	NotifyID    string            `json:"notify_id"`
	AppID       string            `json:"app_id"`
	OutTradeNo  string            `json:"out_trade_no"`
	TradeStatus string            `json:"trade_status"`
	Kind        string            `json:"kind"`
	Attempt     int               `json:"attempt"` // 1..8; a duplicate carries the number of the attempt it repeats
	At          time.Time         `json:"at"`
	URL         string            `json:"url"`
	StatusCode  int               `json:"status_code,omitempty"`
	Response    string            `json:"response,omitempty"` // body answered, first 256 bytes
	Error       string            `json:"error,omitempty"`
	Success     bool              `json:"success"`
	Dropped     bool              `json:"dropped,omitempty"`   // fault: never sent
	Duplicate   bool              `json:"duplicate,omitempty"` // fault: extra copy
	BadSign     bool              `json:"bad_sign,omitempty"`  // fault: corrupted signature
	Params      map[string]string `json:"params"`              // what was sent, without sign
}

// notification is one logical notification with its retry state; guarded by Sandbox.mu.
type notification struct {
	id, appID, outTradeNo, status, kind, url string
	params                                   map[string]string // signed (sign set) once first delivered
	key                                      *rsa.PrivateKey   // signs params: the app's notify key when queued
	hash                                     crypto.Hash
	attempts                                 int
	due                                      time.Time
	inflight, done                           bool
}

// notifyLocked queues a notification of r's current state if its kind is switched on
// and the trade has a notify_url (overrideURL, e.g. from close, wins).
func (s *Sandbox) notifyLocked(r *record, now time.Time, kind, requestNo, overrideURL string) {
	url := overrideURL
	if url == "" {
		url = r.t.NotifyURL
	}
	if url == "" || !s.faults.notifyEnabled(kind) {
		return
	}
	p, h := s.notifyParams(r, now, kind, requestNo)
	n := &notification{id: p["notify_id"], appID: r.t.AppID, outTradeNo: r.t.OutTradeNo,
		status: r.t.Status, kind: kind, url: url, params: p, key: s.notifyKeyLocked(r.t.AppID), hash: h}
	n.due = now.Add(s.faults.notifyDelay())
	if s.faults.roll(rollReorder) {
		n.due = n.due.Add(reorderHold)
	}
	s.pending = append(s.pending, n)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// notifyParams is the notification of r's state, unsigned, and the hash its signature
// takes: it is signed when first delivered (signNotification), outside the sandbox's lock,
// so that a thousand trades paid at once do not sign a thousand RSA signatures while every
// gateway call waits for the lock.
func (s *Sandbox) notifyParams(r *record, now time.Time, kind, requestNo string) (map[string]string, crypto.Hash) {
	t := &r.t
	p := map[string]string{
		"notify_time": fmtTime(now), "notify_type": "trade_status_sync",
		"notify_id": randomDigits(now.In(shanghai).Format("20060102"), 26),
		"app_id":    t.AppID, "auth_app_id": t.AppID, "charset": "utf-8", "version": "1.0",
		"trade_no": t.TradeNo, "out_trade_no": t.OutTradeNo, "buyer_id": t.BuyerID, "buyer_logon_id": t.BuyerLogonID,
		"seller_id": t.SellerID, "trade_status": t.Status, "subject": t.Subject, "body": t.Body,
		"total_amount": t.TotalAmount,
	}
	if t.ScannedAt != nil {
		p["gmt_create"] = fmtTime(*t.ScannedAt)
	}
	if t.PaidAt != nil {
		p["gmt_payment"] = fmtTime(*t.PaidAt)
		for _, k := range []string{"receipt_amount", "invoice_amount", "buyer_pay_amount"} {
			p[k] = t.TotalAmount
		}
		p["point_amount"] = "0.00"
		p["fund_bill_list"] = `[{"amount":"` + t.TotalAmount + `","fundChannel":"ALIPAYACCOUNT"}]`
	}
	if t.ClosedAt != nil && t.Status == StatusTradeClosed {
		p["gmt_close"] = fmtTime(*t.ClosedAt)
	}
	if requestNo != "" {
		p["out_biz_no"] = requestNo
		p["refund_fee"] = fen(r.refunded)
		p["gmt_refund"] = fmtTimeMillis(now)
	}
	for k, v := range p {
		if v == "" {
			delete(p, k)
		}
	}
	// An app signs with one algorithm, and Alipay answers and notifies it in the same
	// (RSA = SHA1 is the Java SDK's default; RSA2 = SHA256 otherwise).
	signType, h := "RSA2", hashSHA256
	if st, ok := hashFor(r.signType); ok && r.signType == "RSA" {
		signType, h = "RSA", st
	}
	p["sign_type"] = signType
	return p, h
}

// signNotification returns n's parameters with their signature, signing them the first
// time (the signature of the same parameters with the same key is the same every time).
// It takes the lock only to read and to keep the result.
func (s *Sandbox) signNotification(n *notification) map[string]string {
	s.mu.Lock()
	params := n.params
	s.mu.Unlock()
	if params["sign"] != "" {
		return params
	}
	signed := make(map[string]string, len(params)+1)
	for k, v := range params {
		signed[k] = v
	}
	signed["sign"] = rsaSign(n.key, n.hash, []byte(signContent(signed, "sign", "sign_type")))
	s.mu.Lock()
	n.params = signed
	s.mu.Unlock()
	return signed
}

// corruptSign flips one bit of the signature, keeping it valid base64.
func corruptSign(sig string) string {
	b, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(b) == 0 {
		return "AAAA"
	}
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

// Notifications returns every delivery attempt for outTradeNo ("" = all), oldest first.
func (s *Sandbox) Notifications(outTradeNo string) []NotifyAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []NotifyAttempt{}
	for _, a := range s.attempts {
		if outTradeNo == "" || a.OutTradeNo == outTradeNo {
			out = append(out, a)
		}
	}
	return out
}

// NotifyIdle reports whether no notification is being delivered and none is due within
// the next horizon: the ones left wait for a retry of Alipay's schedule. Tests that drive
// the gateway to quiescence wait for it before they compare the books.
func (s *Sandbox) NotifyIdle(horizon time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := s.now().Add(horizon)
	for _, n := range s.pending {
		if !n.done && (n.inflight || n.due.Before(limit)) {
			return false
		}
	}
	return true
}
