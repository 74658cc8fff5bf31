package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const (
	billURLLife     = 30 * time.Second   // Alipay: the URL stops working if not used within 30 s
	ledgerRetention = 8 * 24 * time.Hour // bills stay available this long after their day
	maxLedger       = 200_000            // rows kept at most; the oldest go first
)

// billEntry is one row of the daily bill: a payment (交易) or a refund (退款), frozen
// when it happened. Guarded by Sandbox.mu.
type billEntry struct {
	appID, tradeNo, outTradeNo, subject, body string
	storeID, terminalID, operatorID, buyer    string
	requestNo                                 string // refunds only
	refund                                    bool
	amount                                    int64 // fen, positive
	createdAt, at                             time.Time
}

// ledgerLocked writes a payment (ref nil) or a refund of r to the bill ledger.
func (s *Sandbox) ledgerLocked(r *record, now time.Time, ref *Refund) {
	t := &r.t
	created := t.CreatedAt
	if t.ScannedAt != nil {
		created = *t.ScannedAt // the trade exists from the scan on
	}
	e := billEntry{appID: t.AppID, tradeNo: t.TradeNo, outTradeNo: t.OutTradeNo, subject: t.Subject, body: t.Body,
		storeID: t.StoreID, terminalID: t.TerminalID, operatorID: t.OperatorID, buyer: t.BuyerLogonID,
		amount: r.total, createdAt: created, at: now}
	if ref != nil {
		e.refund, e.requestNo = true, ref.OutRequestNo
		e.amount, _ = parseAmount(ref.Amount)
	}
	if len(s.ledger) >= maxLedger {
		s.ledger = append(s.ledger[:0:0], s.ledger[maxLedger/10:]...)
	}
	s.ledger = append(s.ledger, e)
}

// sweepLedgerLocked forgets rows past the retention period.
func (s *Sandbox) sweepLedgerLocked(now time.Time) {
	i := 0
	for i < len(s.ledger) && now.Sub(s.ledger[i].at) > ledgerRetention {
		i++
	}
	if i > 0 {
		s.ledger = append(s.ledger[:0:0], s.ledger[i:]...)
	}
}

// dayEntriesLocked returns the app's rows whose payment or refund fell on day
// (Asia/Shanghai), in time order.
func (s *Sandbox) dayEntriesLocked(appID string, day time.Time) []billEntry {
	end := day.AddDate(0, 0, 1)
	var out []billEntry
	for _, e := range s.ledger {
		if e.appID == appID && !e.at.Before(day) && e.at.Before(end) {
			out = append(out, e)
		}
	}
	return out
}

// parseBillDate reads yyyy-MM-dd as the start of that day in Asia/Shanghai.
func parseBillDate(s string) (time.Time, bool) {
	d, err := time.ParseInLocation("2006-01-02", s, shanghai)
	return d, err == nil && d.Format("2006-01-02") == s
}

// billURL implements alipay.data.dataservice.bill.downloadurl.query for bill_type trade
// and a daily bill_date: a download URL valid 30 s. Today (not yet generated), later
// days and days before the app was registered answer isp.bill_not_exist.
func (s *Sandbox) billURL(req *gwRequest) node {
	billType, ok1 := req.str("bill_type")
	date, ok2 := req.str("bill_date")
	day, ok3 := parseBillDate(date)
	if !(ok1 && ok2) || billType != "trade" || !ok3 {
		return bizErr("invalid_arguments", "参数不合法：沙箱仅提供bill_type=trade的日账单，bill_date格式为yyyy-MM-dd")
	}
	n := req.now.In(shanghai)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, shanghai)
	born := req.app.CreatedAt.In(shanghai)
	bornDay := time.Date(born.Year(), born.Month(), born.Day(), 0, 0, 0, 0, shanghai)
	if !day.Before(today) || (!req.app.CreatedAt.IsZero() && day.Before(bornDay)) {
		return bizErr("isp.bill_not_exist", "账单不存在")
	}
	expires := req.now.Add(billURLLife).Unix()
	u := fmt.Sprintf("%s/sandbox/api/bill?app_id=%s&date=%s&expires=%d&token=%s", req.base,
		url.QueryEscape(req.app.ID), date, expires, s.billToken(req.app.ID, date, expires))
	return okNode(field{"bill_download_url", u})
}

// billToken signs a download URL with a key that lives as long as the simulator.
func (s *Sandbox) billToken(appID, date string, expires int64) string {
	s.mu.Lock()
	if s.billKey == nil {
		s.billKey = make([]byte, 32)
		_, _ = rand.Read(s.billKey)
	}
	key := s.billKey
	s.mu.Unlock()
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s\n%s\n%d", appID, date, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// handleBill serves GET /sandbox/api/bill?app_id=&date=: the day's bill zip. Without a
// token it is the control API (any day up to today); with the expires/token of a
// downloadurl answer the link must be intact (403) and not expired (410).
func (s *Sandbox) handleBill(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID, date := q.Get("app_id"), q.Get("date")
	day, ok := parseBillDate(date)
	if !ok {
		writeJSONError(w, http.StatusBadRequest, "date must be yyyy-MM-dd")
		return
	}
	if q.Has("token") || q.Has("expires") {
		exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
		if err != nil || !hmac.Equal([]byte(q.Get("token")), []byte(s.billToken(appID, date, exp))) {
			writeJSONError(w, http.StatusForbidden, "bill download link is not valid")
			return
		}
		if s.now().Unix() > exp {
			writeJSONError(w, http.StatusGone, "bill download link expired; ask alipay.data.dataservice.bill.downloadurl.query again")
			return
		}
	}
	s.mu.Lock()
	a := s.apps[appID]
	var seller string
	if a != nil {
		seller = a.SellerID
	}
	rows := s.dayEntriesLocked(appID, day)
	now := s.now()
	s.mu.Unlock()
	switch {
	case a == nil:
		writeJSONError(w, http.StatusNotFound, "no such app")
		return
	case day.After(now):
		writeJSONError(w, http.StatusBadRequest, "date is in the future")
		return
	}
	zipBytes, name, err := buildBill(seller, day, rows, now)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(zipBytes)
}
