package sandbox

import (
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

var (
	outTradeNoPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	timeoutPattern    = regexp.MustCompile(`^([1-9][0-9]{0,4})([mhd])$`)
)

const (
	defaultTradeTimeout = 3 * time.Hour // F2F default when neither time_expire nor timeout_express is sent
	qrLife              = 2 * time.Hour // a QR code stops working 2 h after precreate, whatever the expiry
)

// till is where a trade was taken: store, terminal and operator, echoed by query and
// listed in the bill.
type till struct{ store, terminal, operator string }

// till reads store_id (≤32), terminal_id (≤32) and operator_id (≤28); it returns a sub_msg
// when one is not a string or too long.
func (req *gwRequest) till() (till, string) {
	var t till
	for _, f := range []struct {
		key string
		max int
		dst *string
	}{{"store_id", 32, &t.store}, {"terminal_id", 32, &t.terminal}, {"operator_id", 28, &t.operator}} {
		v, ok := req.str(f.key)
		if !ok || utf8.RuneCountInString(v) > f.max {
			return t, "参数" + f.key + "无效"
		}
		*f.dst = v
	}
	return t, ""
}

// strList returns a biz field that must be an array of strings (query_options); absent
// is an empty list. ok is false for any other JSON type.
func (req *gwRequest) strList(key string) ([]string, bool) {
	switch v := req.biz[key].(type) {
	case nil:
		return nil, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func (t till) apply(tr *Trade) {
	tr.StoreID, tr.TerminalID, tr.OperatorID = t.store, t.terminal, t.operator
}

func invalidParam(msg string, extra ...field) node {
	return bizErr("ACQ.INVALID_PARAMETER", msg, extra...)
}

// orderArgs are the biz fields alipay.trade.precreate and alipay.trade.pay share.
type orderArgs struct {
	outTradeNo, subject, body string
	total                     int64
	expires                   time.Time
	where                     till
}

// orderArgs reads and checks them; it returns an error node for a bad value.
func (s *Sandbox) orderArgs(req *gwRequest) (orderArgs, node) {
	var o orderArgs
	var ok1, ok2, ok3 bool
	o.outTradeNo, ok1 = req.str("out_trade_no")
	o.subject, ok2 = req.str("subject")
	o.body, ok3 = req.str("body")
	amountText, ok4 := req.str("total_amount")
	sellerID, ok5 := req.str("seller_id")
	var ok bool
	switch {
	case !(ok1 && ok2 && ok3 && ok4 && ok5):
		return o, invalidParam("参数类型错误")
	case !outTradeNoPattern.MatchString(o.outTradeNo):
		return o, invalidParam("参数out_trade_no无效")
	}
	if o.total, ok = parseAmount(amountText); !ok {
		return o, invalidParam("参数total_amount无效，应为0.01至100000000之间、最多两位小数的金额")
	}
	switch {
	case o.subject == "" || utf8.RuneCountInString(o.subject) > 256:
		return o, invalidParam("参数subject无效")
	case utf8.RuneCountInString(o.body) > 128:
		return o, invalidParam("参数body过长")
	case sellerID != "" && sellerID != req.app.SellerID:
		return o, invalidParam("参数seller_id与商户签约账号不一致")
	}
	msg := ""
	if o.expires, msg = s.tradeExpiry(req); msg != "" {
		return o, invalidParam(msg)
	}
	if o.where, msg = req.till(); msg != "" {
		return o, invalidParam(msg)
	}
	return o, nil
}

// precreate implements alipay.trade.precreate: it issues a QR code; no trade exists yet.
// The same out_trade_no with the same amount and subject answers the same QR.
func (s *Sandbox) precreate(req *gwRequest) node {
	o, e := s.orderArgs(req)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.recs[recKey(req.app.ID, o.outTradeNo)]; r != nil {
		s.refreshLocked(r, req.now)
		switch {
		case r.t.Status == StatusTradeSuccess || r.t.Status == StatusTradeFinished:
			return bizErr("ACQ.TRADE_HAS_SUCCESS", "交易已被支付", field{"out_trade_no", o.outTradeNo})
		case r.t.Status == StatusTradeClosed || r.dead:
			return bizErr("ACQ.TRADE_HAS_CLOSE", "交易已经关闭", field{"out_trade_no", o.outTradeNo})
		case r.t.Kind != kindQR || r.total != o.total || r.t.Subject != o.subject:
			return bizErr("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改", field{"out_trade_no", o.outTradeNo})
		}
		if u := req.params["notify_url"]; u != "" {
			r.t.NotifyURL = u
		}
		r.updatedAt = req.now
		return okNode(field{"out_trade_no", o.outTradeNo}, field{"qr_code", r.t.QRCode})
	}
	code := s.newCodeLocked()
	r := &record{total: o.total, updatedAt: req.now, signType: req.params["sign_type"],
		qrDeadline: req.now.Add(s.scaled(qrLife)), t: Trade{
			AppID: req.app.ID, OutTradeNo: o.outTradeNo, Kind: kindQR, TotalAmount: fen(o.total), Subject: o.subject,
			Body: o.body, QRCode: req.base + "/sandbox/scan/" + code, QRToken: code, SellerID: req.app.SellerID,
			NotifyURL: req.params["notify_url"], CreatedAt: req.now, ExpiresAt: o.expires, Refunds: []Refund{},
		}}
	o.where.apply(&r.t)
	s.recs[recKey(req.app.ID, o.outTradeNo)] = r
	s.byCode[code] = r
	return okNode(field{"out_trade_no", o.outTradeNo}, field{"qr_code", r.t.QRCode})
}

func (s *Sandbox) newCodeLocked() string {
	for {
		c := "bax" + randomToken(21)
		if s.byCode[c] == nil {
			return c
		}
	}
}

// tradeExpiry computes the (TimeScale-compressed) expiry: time_expire wins over
// timeout_express; the F2F default is 3 h. It returns a sub_msg when a value is invalid.
func (s *Sandbox) tradeExpiry(req *gwRequest) (time.Time, string) {
	te, ok1 := req.str("time_expire")
	tx, ok2 := req.str("timeout_express")
	if !ok1 || !ok2 {
		return time.Time{}, "参数类型错误"
	}
	var d time.Duration
	switch {
	case te != "":
		at, err := time.ParseInLocation(alipayTimeLayout, te, shanghai)
		if err != nil {
			return time.Time{}, "参数time_expire格式应为yyyy-MM-dd HH:mm:ss"
		}
		if d = at.Sub(req.now); d <= 0 {
			return time.Time{}, "参数time_expire已过期"
		}
		if d > 15*24*time.Hour+time.Minute {
			return time.Time{}, "参数time_expire超出15天"
		}
	case tx == "1c":
		n := req.now.In(shanghai)
		midnight := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, shanghai)
		d = midnight.Sub(req.now)
	case tx != "":
		m := timeoutPattern.FindStringSubmatch(tx)
		if m == nil {
			return time.Time{}, "参数timeout_express无效，取值范围1m～15d"
		}
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
		if d = time.Duration(n) * unit; d > 15*24*time.Hour {
			return time.Time{}, "参数timeout_express无效，取值范围1m～15d"
		}
	default:
		d = defaultTradeTimeout
	}
	return req.now.Add(s.scaled(d)), ""
}
