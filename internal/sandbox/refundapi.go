package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// routesV2 registers the control routes of barcode payment, outside refunds, daily
// bills and the buyer's payment-code page.
func (s *Sandbox) routesV2(m *http.ServeMux) {
	m.HandleFunc("POST /sandbox/api/refund", s.handleAPIRefund)
	m.HandleFunc("POST /sandbox/api/auth-codes", s.handleAuthCodes)
	m.HandleFunc("POST /sandbox/api/auth-codes/{code}/confirm", s.handleAuthCodeConfirm)
	m.HandleFunc("GET /sandbox/api/bill", s.handleBill)
	m.HandleFunc("GET /sandbox/paycode", s.handlePaycodePage)
	m.HandleFunc("GET /sandbox/paycode/{code}/barcode.png", s.handlePaycodeImage)
	m.HandleFunc("POST /sandbox/paycode/{code}/confirm", s.handlePaycodeConfirm)
}

// OutsideRefund refunds a paid trade the way Alipay's merchant portal does, outside
// f2fpay, under the rules of alipay.trade.refund: cumulative refunds never exceed the
// total, a repeated out_request_no (default: the out_trade_no, then the amount must be the
// total) is idempotent, the trade's notify_url hears of it. amount is yuan ("4.00").
// Errors: ErrNotFound (no such trade), ErrInvalid (bad amount or number), ErrTooSoon
// (Config.RefundSpacing), ErrState (not paid, finished, over the refundable amount, or
// the number reused with another amount); the Alipay sub code is in *alipayError.
func (s *Sandbox) OutsideRefund(appID, outTradeNo, amount, outRequestNo string) (*Trade, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recs[recKey(appID, outTradeNo)]
	if r != nil {
		s.refreshLocked(r, s.now())
	}
	if r == nil || r.t.Status == "" {
		return nil, &alipayError{sentinel: ErrNotFound, sub: "ACQ.TRADE_NOT_EXIST", msg: "ACQ.TRADE_NOT_EXIST: 交易不存在"}
	}
	n, spacing := s.refundLocked(r, s.now(), refundArgs{amountText: amount, requestNo: outRequestNo, reason: "商家后台退款"})
	if code, _ := n[0].v.(string); code == "10000" {
		return r.snapshot(), nil
	}
	sub, _ := n[2].v.(string)
	msg, _ := n[3].v.(string)
	sentinel := ErrState
	switch {
	case spacing:
		sentinel = ErrTooSoon
	case sub == "ACQ.INVALID_PARAMETER":
		sentinel = ErrInvalid
	}
	return nil, &alipayError{sentinel: sentinel, sub: sub, msg: fmt.Sprintf("%s: %s", sub, msg)}
}

// handleAPIRefund serves POST /sandbox/api/refund
// {"app_id","out_trade_no","refund_amount","out_request_no"?} → 200 trade.
func (s *Sandbox) handleAPIRefund(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AppID        string      `json:"app_id"`
		OutTradeNo   string      `json:"out_trade_no"`
		RefundAmount json.Number `json:"refund_amount"`
		OutRequestNo string      `json:"out_request_no"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	t, err := s.OutsideRefund(in.AppID, in.OutTradeNo, in.RefundAmount.String(), in.OutRequestNo)
	s.answer(w, t, err)
}
