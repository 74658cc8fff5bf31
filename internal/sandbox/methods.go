package sandbox

import "time"

const cancelWindow = 24 * time.Hour

// selector reads trade_no / out_trade_no from biz_content; it returns an error node when
// both are missing or not strings.
func (req *gwRequest) selector() (tradeNo, outTradeNo string, e node) {
	tradeNo, ok1 := req.str("trade_no")
	outTradeNo, ok2 := req.str("out_trade_no")
	if !ok1 || !ok2 || (tradeNo == "" && outTradeNo == "") {
		return "", "", invalidParam("参数out_trade_no和trade_no不能同时为空")
	}
	return tradeNo, outTradeNo, nil
}

// tradeLocked finds a scanned trade, refreshing its expiry; nil when no trade exists yet.
func (s *Sandbox) tradeLocked(req *gwRequest, tradeNo, outTradeNo string) *record {
	r := s.findLocked(req.app.ID, tradeNo, outTradeNo)
	if r == nil {
		return nil
	}
	s.refreshLocked(r, req.now)
	if r.t.Status == "" {
		return nil
	}
	return r
}

func notExist(outTradeNo string) node {
	return bizErr("ACQ.TRADE_NOT_EXIST", "交易不存在",
		field{"buyer_pay_amount", "0.00"}, field{"invoice_amount", "0.00"}, field{"out_trade_no", outTradeNo},
		field{"point_amount", "0.00"}, field{"receipt_amount", "0.00"})
}

// query implements alipay.trade.query.
func (s *Sandbox) query(req *gwRequest) node {
	tradeNo, outTradeNo, e := req.selector()
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tradeLocked(req, tradeNo, outTradeNo)
	if r == nil {
		return notExist(outTradeNo)
	}
	paid := "0.00"
	if r.t.PaidAt != nil {
		paid = r.t.TotalAmount
	}
	n := okNode(field{"buyer_logon_id", r.t.BuyerLogonID}, field{"buyer_pay_amount", paid},
		field{"buyer_user_id", r.t.BuyerID}, field{"buyer_user_type", "PRIVATE"}, field{"invoice_amount", paid},
		field{"out_trade_no", r.t.OutTradeNo}, field{"point_amount", "0.00"}, field{"receipt_amount", paid})
	if r.t.PaidAt != nil {
		n = append(n, field{"send_pay_date", fmtTime(*r.t.PaidAt)},
			field{"fund_bill_list", []map[string]string{{"amount": r.t.TotalAmount, "fund_channel": "ALIPAYACCOUNT"}}})
	}
	n = append(n, field{"subject", r.t.Subject}, field{"total_amount", r.t.TotalAmount},
		field{"trade_no", r.t.TradeNo}, field{"trade_status", r.t.Status})
	return append(n, tillFields(&r.t)...)
}

// tillFields echoes store_id, terminal_id and operator_id when the trade was given them.
func tillFields(t *Trade) []field {
	var out []field
	for _, f := range []field{{"store_id", t.StoreID}, {"terminal_id", t.TerminalID}, {"operator_id", t.OperatorID}} {
		if f.v != "" {
			out = append(out, f)
		}
	}
	return out
}

// closeTrade implements alipay.trade.close: only WAIT_BUYER_PAY can be closed.
func (s *Sandbox) closeTrade(req *gwRequest) node {
	tradeNo, outTradeNo, e := req.selector()
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tradeLocked(req, tradeNo, outTradeNo)
	if r == nil {
		return bizErr("ACQ.TRADE_NOT_EXIST", "交易不存在", field{"out_trade_no", outTradeNo})
	}
	if r.t.Status != StatusWaitBuyerPay {
		return bizErr("ACQ.TRADE_STATUS_ERROR", "交易状态不合法", field{"out_trade_no", r.t.OutTradeNo}, field{"trade_no", r.t.TradeNo})
	}
	s.closeLocked(r, req.now, req.params["notify_url"])
	return okNode(field{"out_trade_no", r.t.OutTradeNo}, field{"trade_no", r.t.TradeNo})
}

// closeLocked moves an unpaid trade to TRADE_CLOSED and notifies.
func (s *Sandbox) closeLocked(r *record, now time.Time, notifyURL string) {
	r.t.Status = StatusTradeClosed
	r.t.ClosedAt = &now
	r.updatedAt = now
	s.notifyLocked(r, now, kindClosed, "", notifyURL)
}

// cancel implements alipay.trade.cancel. Before a scan it kills the QR code (action
// "close"). For an out_trade_no never seen it answers 10000 with retry_flag N and no
// action (Alipay returns action only when the trade exists) and keeps the number dead, so
// a late precreate or trade.pay cannot revive it.
func (s *Sandbox) cancel(req *gwRequest) node {
	tradeNo, outTradeNo, e := req.selector()
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.findLocked(req.app.ID, tradeNo, outTradeNo)
	if r == nil && tradeNo != "" {
		return bizErr("ACQ.TRADE_NOT_EXIST", "交易不存在", field{"retry_flag", "N"}, field{"trade_no", tradeNo})
	}
	if r == nil || (r.t.Kind == "" && r.t.Status == "") {
		return s.cancelUnseenLocked(req, outTradeNo)
	}
	s.refreshLocked(r, req.now)
	ids := []field{{"out_trade_no", r.t.OutTradeNo}, {"retry_flag", "N"}, {"trade_no", r.t.TradeNo}}
	switch r.t.Status {
	case "":
		r.dead, r.t.ClosedAt, r.updatedAt = true, &req.now, req.now
		return okNode(field{"action", "close"}, field{"out_trade_no", outTradeNo}, field{"retry_flag", "N"})
	case StatusWaitBuyerPay:
		s.closeLocked(r, req.now, req.params["notify_url"])
		return okNode(append([]field{{"action", "close"}}, ids...)...)
	case StatusTradeFinished:
		return bizErr("ACQ.TRADE_HAS_FINISHED", "交易已完结", ids...)
	case StatusTradeClosed:
		if r.refunded > 0 {
			return okNode(append([]field{{"action", "refund"}}, ids...)...)
		}
		return okNode(append([]field{{"action", "close"}}, ids...)...)
	}
	if req.now.Sub(*r.t.PaidAt) > cancelWindow {
		return bizErr("ACQ.TRADE_CANCEL_TIME_OUT", "超过撤销时间范围", ids...)
	}
	if r.refunded > 0 {
		return bizErr("ACQ.REASON_TRADE_REFUND_FEE_ERR", "交易已有退款，不能撤销", ids...)
	}
	s.applyRefundLocked(r, req.now, r.t.OutTradeNo, r.total, "撤销", req.params["notify_url"])
	return okNode(append([]field{{"action", "refund"}, {"gmt_refund_pay", fmtTime(req.now)}}, ids...)...)
}

// cancelUnseenLocked answers a cancel of an out_trade_no Alipay never saw: 10000,
// retry_flag N, no action and no trade_no. The number stays dead from then on.
func (s *Sandbox) cancelUnseenLocked(req *gwRequest, outTradeNo string) node {
	if !outTradeNoPattern.MatchString(outTradeNo) {
		return invalidParam("参数out_trade_no无效")
	}
	if s.recs[recKey(req.app.ID, outTradeNo)] == nil {
		s.recs[recKey(req.app.ID, outTradeNo)] = &record{dead: true, updatedAt: req.now, t: Trade{AppID: req.app.ID,
			OutTradeNo: outTradeNo, SellerID: req.app.SellerID, CreatedAt: req.now, ClosedAt: &req.now, Refunds: []Refund{}}}
	}
	return okNode(field{"out_trade_no", outTradeNo}, field{"retry_flag", "N"})
}
