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

func (t till) apply(tr *Trade) {
	tr.StoreID, tr.TerminalID, tr.OperatorID = t.store, t.terminal, t.operator
}

func invalidParam(msg string, extra ...field) node {
	return bizErr("ACQ.INVALID_PARAMETER", msg, extra...)
}

// precreate implements alipay.trade.precreate: it issues a QR code; no trade exists yet.
func (s *Sandbox) precreate(req *gwRequest) node {
	outTradeNo, ok1 := req.str("out_trade_no")
	amountText, ok2 := req.str("total_amount")
	subject, ok3 := req.str("subject")
	body, ok4 := req.str("body")
	sellerID, ok5 := req.str("seller_id")
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return invalidParam("参数类型错误")
	}
	if !outTradeNoPattern.MatchString(outTradeNo) {
		return invalidParam("参数out_trade_no无效")
	}
	total, ok := parseAmount(amountText)
	if !ok {
		return invalidParam("参数total_amount无效，应为0.01至100000000之间、最多两位小数的金额")
	}
	if subject == "" || utf8.RuneCountInString(subject) > 256 {
		return invalidParam("参数subject无效")
	}
	if utf8.RuneCountInString(body) > 128 {
		return invalidParam("参数body过长")
	}
	if sellerID != "" && sellerID != req.app.SellerID {
		return invalidParam("参数seller_id与商户签约账号不一致")
	}
	expires, msg := s.tradeExpiry(req)
	if msg != "" {
		return invalidParam(msg)
	}
	where, msg := req.till()
	if msg != "" {
		return invalidParam(msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.recs[recKey(req.app.ID, outTradeNo)]; r != nil {
		s.refreshLocked(r, req.now)
		switch {
		case r.t.Status == StatusTradeSuccess || r.t.Status == StatusTradeFinished:
			return bizErr("ACQ.TRADE_HAS_SUCCESS", "交易已被支付", field{"out_trade_no", outTradeNo})
		case r.t.Status == StatusTradeClosed || r.dead:
			return bizErr("ACQ.TRADE_HAS_CLOSE", "交易已经关闭", field{"out_trade_no", outTradeNo})
		case r.t.Kind != kindQR || r.total != total || r.t.Subject != subject:
			return bizErr("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改", field{"out_trade_no", outTradeNo})
		}
		if u := req.params["notify_url"]; u != "" {
			r.t.NotifyURL = u
		}
		r.updatedAt = req.now
		return okNode(field{"out_trade_no", outTradeNo}, field{"qr_code", r.t.QRCode})
	}
	code := s.newCodeLocked()
	r := &record{total: total, updatedAt: req.now, signType: req.params["sign_type"],
		qrDeadline: req.now.Add(s.scaled(qrLife)), t: Trade{
			AppID: req.app.ID, OutTradeNo: outTradeNo, Kind: kindQR, TotalAmount: fen(total), Subject: subject, Body: body,
			QRCode: req.base + "/sandbox/scan/" + code, QRToken: code, SellerID: req.app.SellerID,
			NotifyURL: req.params["notify_url"], CreatedAt: req.now, ExpiresAt: expires, Refunds: []Refund{},
		}}
	where.apply(&r.t)
	s.recs[recKey(req.app.ID, outTradeNo)] = r
	s.byCode[code] = r
	return okNode(field{"out_trade_no", outTradeNo}, field{"qr_code", r.t.QRCode})
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
