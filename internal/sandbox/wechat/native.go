package wechat

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"time"
	"unicode/utf8"
)

var outTradeNoPattern = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{6,32}$`)

type nativeReq struct {
	AppID       string `json:"appid"`
	MchID       string `json:"mchid"`
	Description string `json:"description"`
	OutTradeNo  string `json:"out_trade_no"`
	TimeExpire  string `json:"time_expire"`
	Attach      string `json:"attach"`
	NotifyURL   string `json:"notify_url"`
	Amount      *struct {
		Total    *int64 `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// missing is WeChat Pay's wording for an absent required field.
func missing(field string) answer {
	return fail(http.StatusBadRequest, "PARAM_ERROR", "输入源“/body/"+field+"”映射到字段“"+field+"”必填性规则校验失败，此字段为必填项")
}

// checkNative validates a Native order as WeChat Pay documents its fields.
func checkNative(m *merchant, q *nativeReq, now time.Time) (expires time.Time, a *answer) {
	bad := func(x answer) (time.Time, *answer) { return time.Time{}, &x }
	switch n := utf8.RuneCountInString(q.Description); {
	case q.AppID == "":
		return bad(missing("appid"))
	case q.MchID == "":
		return bad(missing("mchid"))
	case q.MchID != m.MchID:
		return bad(fail(http.StatusBadRequest, "INVALID_REQUEST", "请求体的mchid与Authorization中的商户号不一致"))
	case q.OutTradeNo == "":
		return bad(missing("out_trade_no"))
	case !outTradeNoPattern.MatchString(q.OutTradeNo):
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "out_trade_no须为6-32位数字、大小写字母或_-|*"))
	case n == 0:
		return bad(missing("description"))
	case n > 127:
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "description超过127个字符"))
	case q.NotifyURL == "":
		return bad(missing("notify_url"))
	case q.Amount == nil || q.Amount.Total == nil:
		return bad(missing("amount.total"))
	case *q.Amount.Total < 1:
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "amount.total须为正整数（单位：分）"))
	case q.Amount.Currency != "" && q.Amount.Currency != "CNY":
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "amount.currency仅支持CNY"))
	case len(q.Attach) > 128:
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "attach超过128字节"))
	}
	if u, err := url.Parse(q.NotifyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || len(q.NotifyURL) > 256 {
		return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "notify_url须为不带参数的http(s)绝对地址"))
	}
	expires = now.Add(defaultExpiry)
	if q.TimeExpire != "" {
		t, err := time.Parse(time.RFC3339, q.TimeExpire)
		if err != nil {
			return bad(fail(http.StatusBadRequest, "PARAM_ERROR", "time_expire须为yyyy-MM-DDTHH:mm:ss+TIMEZONE格式"))
		}
		if !t.After(now) {
			return bad(fail(http.StatusBadRequest, "INVALID_REQUEST", "time_expire已过"))
		}
		expires = t
	}
	return expires, nil
}

// native places a Native order. The same out_trade_no with the same appid, description,
// amount and attach answers the same code_url; with others OUT_TRADE_NO_USED; a paid order
// ORDERPAID and a closed one ORDER_CLOSED.
func (s *Sandbox) native(m *merchant, r *http.Request, body []byte) answer {
	var q nativeReq
	if err := json.Unmarshal(body, &q); err != nil {
		return fail(http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON")
	}
	now := s.now()
	expires, bad := checkNative(m, &q, now)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.trades[tradeKey(m.MchID, q.OutTradeNo)]; t != nil {
		s.expireLocked(t, now)
		switch {
		case t.State == stateSuccess || t.State == stateRefund:
			return fail(http.StatusBadRequest, "ORDERPAID", "该订单已支付")
		case t.State == stateClosed:
			return fail(http.StatusBadRequest, "ORDER_CLOSED", "订单已关闭")
		case t.AppID != q.AppID || t.Description != q.Description || t.Total != *q.Amount.Total || t.Attach != q.Attach:
			return fail(http.StatusForbidden, "OUT_TRADE_NO_USED", "商户订单号重复")
		}
		return ok(map[string]string{"code_url": t.CodeURL})
	}
	t := &Trade{MchID: m.MchID, AppID: q.AppID, OutTradeNo: q.OutTradeNo, Description: q.Description, Attach: q.Attach,
		NotifyURL: q.NotifyURL, Total: *q.Amount.Total, State: stateNotPay, CreatedAt: now,
		ExpiresAt: now.Add(s.scaled(expires.Sub(now))), pr: randomFrom(alnum, 10)}
	t.CodeURL = codeURLPrefix + t.pr
	s.trades[tradeKey(m.MchID, q.OutTradeNo)] = t
	s.byPR[t.pr] = t
	return ok(map[string]string{"code_url": t.CodeURL})
}

// query answers a transaction by out_trade_no; ?mchid= must be the caller.
func (s *Sandbox) query(m *merchant, r *http.Request, _ []byte) answer {
	switch mch := r.URL.Query().Get("mchid"); {
	case mch == "":
		return fail(http.StatusBadRequest, "PARAM_ERROR", "输入源“/query/mchid”映射到字段“mchid”必填性规则校验失败，此字段为必填项")
	case mch != m.MchID:
		return fail(http.StatusBadRequest, "INVALID_REQUEST", "mchid与Authorization中的商户号不一致")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[tradeKey(m.MchID, r.PathValue("no"))]
	if t == nil {
		return fail(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
	}
	s.sweepLocked(s.now())
	return ok(transactionJSON(t))
}

// closeOrder closes an unpaid order (204, also when already closed); paid is ORDERPAID.
func (s *Sandbox) closeOrder(m *merchant, r *http.Request, body []byte) answer {
	var q struct {
		MchID string `json:"mchid"`
	}
	if err := json.Unmarshal(body, &q); err != nil {
		return fail(http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON")
	}
	switch {
	case q.MchID == "":
		return missing("mchid")
	case q.MchID != m.MchID:
		return fail(http.StatusBadRequest, "INVALID_REQUEST", "请求体的mchid与Authorization中的商户号不一致")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trades[tradeKey(m.MchID, r.PathValue("no"))]
	if t == nil {
		return fail(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
	}
	s.expireLocked(t, now)
	switch t.State {
	case stateSuccess, stateRefund:
		return fail(http.StatusBadRequest, "ORDERPAID", "订单已支付")
	case stateNotPay:
		at := now
		t.State, t.ClosedAt = stateClosed, &at
	}
	return answer{status: http.StatusNoContent}
}

// transactionJSON is a transaction as APIv3 writes it; unpaid orders carry no
// transaction_id, payer or success_time.
func transactionJSON(t *Trade) map[string]any {
	amount := map[string]any{"total": t.Total, "currency": "CNY", "payer_currency": "CNY"}
	v := map[string]any{"appid": t.AppID, "mchid": t.MchID, "out_trade_no": t.OutTradeNo, "trade_state": t.State,
		"trade_state_desc": stateDesc[t.State], "amount": amount, "promotion_detail": []any{}}
	if t.Attach != "" {
		v["attach"] = t.Attach
	}
	if t.TransactionID != "" {
		v["transaction_id"], v["trade_type"], v["bank_type"] = t.TransactionID, "NATIVE", "OTHERS"
		v["payer"] = map[string]string{"openid": t.PayerOpenID}
		v["success_time"] = fmtTime(*t.SuccessTime)
		amount["payer_total"] = t.Total
	}
	return v
}
