package wechat

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

var outRefundNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

// maxRefunds is WeChat Pay's limit of partial refunds per order.
const maxRefunds = 50

type refundReq struct {
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	OutRefundNo   string `json:"out_refund_no"`
	Reason        string `json:"reason"`
	NotifyURL     string `json:"notify_url"`
	Amount        *struct {
		Refund   *int64 `json:"refund"`
		Total    *int64 `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

func checkRefundReq(q *refundReq) *answer {
	bad := func(a answer) *answer { return &a }
	switch {
	case q.TransactionID == "" && q.OutTradeNo == "":
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "transaction_id和out_trade_no须二选一"))
	case q.OutRefundNo == "":
		return bad(missing("out_refund_no"))
	case !outRefundNoPattern.MatchString(q.OutRefundNo):
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "out_refund_no须为1-64位数字、大小写字母或_-|*@"))
	case q.Amount == nil || q.Amount.Refund == nil || q.Amount.Total == nil:
		return bad(missing("amount"))
	case q.Amount.Currency != "CNY":
		return bad(missing("amount.currency"))
	case *q.Amount.Refund < 1 || *q.Amount.Total < 1:
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "amount.refund和amount.total须为正整数（单位：分）"))
	case len([]rune(q.Reason)) > 80:
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "reason超过80个字符"))
	}
	return nil
}

// refund applies for a refund. A repeated out_refund_no with the same order and amount
// answers the same refund; with others INVALID_REQUEST.
func (s *Sandbox) refund(m *merchant, _ *http.Request, body []byte) answer {
	var q refundReq
	if err := json.Unmarshal(body, &q); err != nil {
		return fail(http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON")
	}
	if bad := checkRefundReq(&q); bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[tradeKey(m.MchID, q.OutTradeNo)]
	if q.TransactionID != "" {
		if bt := s.byTxn[q.TransactionID]; bt != nil && bt.MchID == m.MchID && (t == nil || t == bt) {
			t = bt
		} else {
			t = nil
		}
	}
	rf, a := s.refundLocked(m.MchID, t, q.OutRefundNo, *q.Amount.Refund, *q.Amount.Total, q.Reason, q.NotifyURL, false, s.now())
	if rf == nil {
		return a
	}
	return ok(refundJSON(rf))
}

// refundLocked accepts a refund of t (PROCESSING, settled after RefundSettle) or says why
// not, as an APIv3 error answer.
func (s *Sandbox) refundLocked(mchID string, t *Trade, outRefundNo string, amount, total int64, reason, notifyURL string,
	outside bool, now time.Time) (*Refund, answer) {
	if old := s.refunds[tradeKey(mchID, outRefundNo)]; old != nil {
		if t == old.trade && old.Refund == amount && old.Total == total {
			return old, answer{}
		}
		return nil, fail(http.StatusBadRequest, "INVALID_REQUEST", "退款单号"+outRefundNo+"已存在且请求参数不一致")
	}
	if t != nil {
		s.expireLocked(t, now)
	}
	switch {
	case t == nil || (t.State != stateSuccess && t.State != stateRefund):
		return nil, fail(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
	case total != t.Total:
		return nil, fail(http.StatusBadRequest, "INVALID_REQUEST", fmt.Sprintf("amount.total %d与订单金额%d不一致", total, t.Total))
	case amount > t.Total-t.Refunded:
		return nil, fail(http.StatusBadRequest, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
	case len(t.refunds) >= maxRefunds:
		return nil, fail(http.StatusBadRequest, "INVALID_REQUEST", "订单退款次数已达50次上限")
	}
	rf := &Refund{MchID: mchID, OutTradeNo: t.OutTradeNo, TransactionID: t.TransactionID, OutRefundNo: outRefundNo,
		RefundID: "50" + randomFrom("0123456789", 7) + now.In(beijing).Format("20060102") + randomFrom("0123456789", 12),
		Reason:   reason, NotifyURL: notifyURL, Refund: amount, Total: total, Status: "PROCESSING", Outside: outside,
		CreatedAt: now, settleAt: now.Add(s.scaled(s.cfg.RefundSettle)), trade: t}
	t.refunds = append(t.refunds, rf)
	t.Refunded += amount
	t.State = stateRefund
	s.refunds[tradeKey(mchID, outRefundNo)] = rf
	s.processing = append(s.processing, rf)
	s.wakeLoop()
	return rf, answer{}
}

// refundQuery answers one refund by out_refund_no.
func (s *Sandbox) refundQuery(m *merchant, r *http.Request, _ []byte) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleDueLocked(s.now())
	rf := s.refunds[tradeKey(m.MchID, r.PathValue("no"))]
	if rf == nil {
		return fail(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
	}
	return ok(refundJSON(rf))
}

// refundJSON is a refund as APIv3 writes it in answers.
func refundJSON(rf *Refund) map[string]any {
	v := map[string]any{"refund_id": rf.RefundID, "out_refund_no": rf.OutRefundNo, "transaction_id": rf.TransactionID,
		"out_trade_no": rf.OutTradeNo, "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
		"create_time": fmtTime(rf.CreatedAt), "status": rf.Status, "promotion_detail": []any{},
		"amount": map[string]any{"total": rf.Total, "refund": rf.Refund, "from": []any{}, "payer_total": rf.Total,
			"payer_refund": rf.Refund, "settlement_refund": rf.Refund, "settlement_total": rf.Total,
			"discount_refund": 0, "currency": "CNY", "refund_fee": 0}}
	if rf.SuccessTime != nil {
		v["success_time"] = fmtTime(*rf.SuccessTime)
	}
	return v
}
