package sandbox

import (
	"slices"
	"time"
	"unicode/utf8"
)

// AlipayRefundSpacing is the least time Alipay's documentation asks between two refunds
// of one trade ("同一笔交易的退款至少间隔3s后发起"). Config.RefundSpacing set to it makes
// the simulator refuse closer refunds as the real gateway does.
const AlipayRefundSpacing = 3 * time.Second

// refundArgs is one refund request, from alipay.trade.refund or POST /sandbox/api/refund.
type refundArgs struct {
	amountText, requestNo, reason, notifyURL string
}

// refund implements alipay.trade.refund: cumulative refunds never exceed the total and
// a repeated out_request_no is idempotent (fund_change "N").
func (s *Sandbox) refund(req *gwRequest) node {
	tradeNo, outTradeNo, e := req.selector()
	if e != nil {
		return e
	}
	amountText, ok1 := req.str("refund_amount")
	requestNo, ok2 := req.str("out_request_no")
	reason, ok3 := req.str("refund_reason")
	if !(ok1 && ok2 && ok3) {
		return invalidParam("参数类型错误")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tradeLocked(req, tradeNo, outTradeNo)
	if r == nil {
		return bizErr("ACQ.TRADE_NOT_EXIST", "交易不存在", field{"out_trade_no", outTradeNo}, field{"refund_fee", "0.00"}, field{"send_back_fee", "0.00"})
	}
	n, spacing := s.refundLocked(r, req.now, refundArgs{amountText, requestNo, reason, req.params["notify_url"]})
	req.unsigned = spacing
	return n
}

// refundLocked applies alipay.trade.refund's rules to a trade. spacing reports the
// gateway-level refusal of a refund too close to the previous one (answered unsigned).
func (s *Sandbox) refundLocked(r *record, now time.Time, a refundArgs) (n node, spacing bool) {
	// The spacing limit is checked first, before any idempotency check, as Alipay's
	// gateway refuses the call before the trade service sees it.
	if gap := s.scaled(s.cfg.RefundSpacing); gap > 0 && !r.lastRefund.IsZero() && now.Sub(r.lastRefund) < gap {
		return errNode("40005", "isv.app-call-limited", "调用频次超限：同一笔交易的退款至少间隔3s后发起"), true
	}
	amount, ok := parseAmount(a.amountText)
	if !ok {
		return invalidParam("参数refund_amount无效"), false
	}
	if len(a.requestNo) > 64 || utf8.RuneCountInString(a.reason) > 256 {
		return invalidParam("参数out_request_no或refund_reason过长"), false
	}
	defaulted := a.requestNo == ""
	if defaulted {
		a.requestNo = r.t.OutTradeNo
	}
	ids := []field{{"out_trade_no", r.t.OutTradeNo}, {"trade_no", r.t.TradeNo}}
	if old := r.refund(a.requestNo); old != nil {
		if old.Amount != fen(amount) {
			return bizErr("ACQ.DISCORDANT_REPEAT_REQUEST", "不一致的请求", ids...), false
		}
		return s.refundOK(r, "N", old.RefundedAt, amount), false
	}
	switch {
	case r.t.Status == StatusTradeFinished:
		return bizErr("ACQ.TRADE_HAS_FINISHED", "交易已完结", ids...), false
	case r.t.PaidAt == nil:
		return bizErr("ACQ.TRADE_STATUS_ERROR", "交易状态不合法", ids...), false
	case amount > r.total-r.refunded:
		return bizErr("ACQ.REASON_TRADE_REFUND_FEE_ERR", "退款金额超限", append(ids, field{"refund_fee", fen(r.refunded)})...), false
	case defaulted && amount != r.total:
		return bizErr("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额与订单金额不一致，部分退款须传入out_request_no", ids...), false
	}
	s.applyRefundLocked(r, now, a.requestNo, amount, a.reason, a.notifyURL)
	return s.refundOK(r, "Y", now, amount), false
}

func (s *Sandbox) refundOK(r *record, fundChange string, at time.Time, amount int64) node {
	return okNode(field{"buyer_logon_id", r.t.BuyerLogonID}, field{"buyer_user_id", r.t.BuyerID},
		field{"fund_change", fundChange}, field{"gmt_refund_pay", fmtTime(at)}, field{"out_trade_no", r.t.OutTradeNo},
		field{"refund_fee", fen(r.refunded)}, field{"send_back_fee", fen(amount)}, field{"trade_no", r.t.TradeNo})
}

// applyRefundLocked records a refund; a full refund closes the trade. Either way the
// change is notified (partial: TRADE_SUCCESS with refund fields; full: TRADE_CLOSED) and
// written to the bill ledger.
func (s *Sandbox) applyRefundLocked(r *record, now time.Time, requestNo string, amount int64, reason, notifyURL string) {
	r.refunded += amount
	ref := Refund{OutRequestNo: requestNo, Amount: fen(amount), Reason: reason, RefundedAt: now}
	r.t.Refunds = append(r.t.Refunds, ref)
	r.updatedAt, r.lastRefund = now, now
	kind := kindRefund
	if r.refunded == r.total {
		r.t.Status = StatusTradeClosed
		r.t.ClosedAt = &now
		kind = kindFullRefund
	}
	s.ledgerLocked(r, now, &ref)
	s.notifyLocked(r, now, kind, requestNo, notifyURL)
}

// refundQuery implements alipay.trade.fastpay.refund.query. An unknown out_request_no
// answers 10000 without refund fields (the caller reads that as "not refunded");
// gmt_refund_pay comes only when query_options asks for it.
func (s *Sandbox) refundQuery(req *gwRequest) node {
	tradeNo, outTradeNo, e := req.selector()
	if e != nil {
		return e
	}
	requestNo, ok := req.str("out_request_no")
	if !ok || requestNo == "" {
		return invalidParam("参数out_request_no不能为空")
	}
	options, ok := req.strList("query_options")
	if !ok {
		return invalidParam("参数query_options应为字符串数组")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tradeLocked(req, tradeNo, outTradeNo)
	if r == nil {
		return bizErr("ACQ.TRADE_NOT_EXIST", "交易不存在", field{"out_trade_no", outTradeNo})
	}
	ref := r.refund(requestNo)
	if ref == nil {
		return okNode(field{"out_trade_no", r.t.OutTradeNo}, field{"trade_no", r.t.TradeNo})
	}
	n := okNode()
	if slices.Contains(options, "gmt_refund_pay") {
		n = append(n, field{"gmt_refund_pay", fmtTime(ref.RefundedAt)})
	}
	return append(n, field{"out_request_no", requestNo},
		field{"out_trade_no", r.t.OutTradeNo}, field{"refund_amount", ref.Amount}, field{"refund_reason", ref.Reason},
		field{"refund_status", "REFUND_SUCCESS"}, field{"send_back_fee", ref.Amount},
		field{"total_amount", r.t.TotalAmount}, field{"trade_no", r.t.TradeNo})
}
