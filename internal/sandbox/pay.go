package sandbox

import "regexp"

// authCodePattern is a payment code as Alipay documents it: 16–24 digits.
var authCodePattern = regexp.MustCompile(`^[0-9]{16,24}$`)

// payArgs are the biz fields of alipay.trade.pay.
type payArgs struct {
	orderArgs
	authCode string
}

// payArgs reads and checks alipay.trade.pay's biz_content; it returns an error node for
// a bad value.
func (s *Sandbox) payArgs(req *gwRequest) (payArgs, node) {
	var p payArgs
	scene, ok1 := req.str("scene")
	code, ok2 := req.str("auth_code")
	switch {
	case !ok1 || !ok2:
		return p, invalidParam("参数类型错误")
	case scene != "bar_code" && scene != "wave_code":
		return p, invalidParam("参数scene无效，条码支付应为bar_code")
	}
	o, e := s.orderArgs(req)
	return payArgs{orderArgs: o, authCode: code}, e
}

// tradePay implements alipay.trade.pay (scene bar_code): the till charges the buyer's
// payment code. 10000 paid; 10003 while a "password" buyer has not confirmed (the trade
// exists, WAIT_BUYER_PAY); ACQ.PAYMENT_AUTH_CODE_INVALID for an unknown, used or expired
// code; ACQ.BUYER_BALANCE_NOT_ENOUGH. A refused charge creates no trade.
func (s *Sandbox) tradePay(req *gwRequest) node {
	p, e := s.payArgs(req)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.recs[recKey(req.app.ID, p.outTradeNo)]; r != nil {
		return s.payRepeatLocked(req, r, p)
	}
	c := s.codes[p.authCode]
	if !authCodePattern.MatchString(p.authCode) || s.chargeableLocked(p.authCode, req.now) == nil {
		return bizErr("ACQ.PAYMENT_AUTH_CODE_INVALID", "付款码无效，请顾客刷新付款码后重新收款", field{"out_trade_no", p.outTradeNo})
	}
	c.used = true
	if c.behaviour == BehaviourInsufficientBalance {
		return bizErr("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足", field{"out_trade_no", p.outTradeNo})
	}
	r := &record{total: p.total, updatedAt: req.now, signType: req.params["sign_type"], t: Trade{
		AppID: req.app.ID, OutTradeNo: p.outTradeNo, Kind: kindBarcode, TradeNo: s.newTradeNoLocked(req.now),
		Status: StatusWaitBuyerPay, TotalAmount: fen(p.total), Subject: p.subject, Body: p.body,
		SellerID: req.app.SellerID, NotifyURL: req.params["notify_url"], CreatedAt: req.now, ExpiresAt: p.expires,
		ScannedAt: &req.now, Refunds: []Refund{},
	}}
	p.where.apply(&r.t)
	r.bindLocked(c.buyer)
	s.recs[recKey(req.app.ID, p.outTradeNo)] = r
	s.byTradeNo[r.t.TradeNo] = r
	c.rec = r
	if c.behaviour == BehaviourPay {
		r.t.LastPayOutcome = OutcomeSuccess
		s.markPaidLocked(r, req.now)
	} else {
		s.notifyLocked(r, req.now, kindWaitPay, "", "")
	}
	return payAnswer(r)
}

// payRepeatLocked answers alipay.trade.pay for an out_trade_no already used: the same
// trade for the same amount and subject (10003 while it waits for the buyer), paid →
// ACQ.TRADE_HAS_SUCCESS with the trade's fields, closed → ACQ.TRADE_HAS_CLOSE, anything
// else (other amount or subject, or a QR order) → ACQ.CONTEXT_INCONSISTENT.
func (s *Sandbox) payRepeatLocked(req *gwRequest, r *record, p payArgs) node {
	s.refreshLocked(r, req.now)
	switch {
	case r.t.Status == StatusTradeSuccess || r.t.Status == StatusTradeFinished:
		n := payAnswer(r)
		return append(bizErr("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"), n[2:]...)
	case r.t.Status == StatusTradeClosed || r.dead:
		return bizErr("ACQ.TRADE_HAS_CLOSE", "交易已经关闭", field{"out_trade_no", p.outTradeNo})
	case r.t.Kind != kindBarcode || r.total != p.total || r.t.Subject != p.subject:
		return bizErr("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改", field{"out_trade_no", p.outTradeNo})
	}
	return payAnswer(r)
}

// payAnswer is the trade.pay answer for the trade's state: 10000 with the payment when
// paid, else 10003 (" order success pay inprocess", Alipay's own text) with zero amounts.
func payAnswer(r *record) node {
	t := &r.t
	head := node{{"code", "10003"}, {"msg", " order success pay inprocess"}}
	paid := "0.00"
	if t.PaidAt != nil {
		head, paid = okNode(), t.TotalAmount
	}
	n := append(head, field{"buyer_logon_id", t.BuyerLogonID}, field{"buyer_pay_amount", paid},
		field{"buyer_user_id", t.BuyerID}, field{"buyer_user_type", "PRIVATE"})
	if t.PaidAt != nil {
		n = append(n, field{"fund_bill_list", []map[string]string{{"amount": t.TotalAmount, "fund_channel": "ALIPAYACCOUNT"}}},
			field{"gmt_payment", fmtTime(*t.PaidAt)})
	}
	return append(n, field{"invoice_amount", paid}, field{"out_trade_no", t.OutTradeNo}, field{"point_amount", "0.00"},
		field{"receipt_amount", paid}, field{"total_amount", t.TotalAmount}, field{"trade_no", t.TradeNo})
}
