package wechat

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// Notification event types the simulator sends; each has a switch in Faults.NotifyStates.
const (
	eventTransactionSuccess = "TRANSACTION.SUCCESS"
	eventRefundSuccess      = "REFUND.SUCCESS"
	eventRefundAbnormal     = "REFUND.ABNORMAL"
	eventRefundClosed       = "REFUND.CLOSED"
)

var events = []string{eventTransactionSuccess, eventRefundSuccess, eventRefundAbnormal, eventRefundClosed}

var summaries = map[string]string{eventTransactionSuccess: "支付成功", eventRefundSuccess: "退款成功",
	eventRefundAbnormal: "退款异常", eventRefundClosed: "退款关闭"}

// retrySchedule is WeChat Pay's spacing after each failed attempt: 16 attempts over about
// 24 hours.
var retrySchedule = [...]time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, time.Hour,
	3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour}

const maxAttempts = len(retrySchedule) + 1

// reorderHold is how long notify_reorder holds a notification back so that a later one
// overtakes it.
const reorderHold = time.Second

// NotifyAttempt is one delivery of a notification, for inspection.
type NotifyAttempt struct {
	ID         string          `json:"id"` // the notification's id, the same on every attempt
	MchID      string          `json:"mchid"`
	OutTradeNo string          `json:"out_trade_no"`
	EventType  string          `json:"event_type"`
	Attempt    int             `json:"attempt"` // 1..16; a duplicate carries the number of the attempt it repeats
	At         time.Time       `json:"at"`
	URL        string          `json:"url"`
	StatusCode int             `json:"status_code,omitempty"`
	Response   string          `json:"response,omitempty"` // body answered, first 256 bytes
	Error      string          `json:"error,omitempty"`
	Success    bool            `json:"success"`             // answered 200 or 204
	Dropped    bool            `json:"dropped,omitempty"`   // fault: never sent
	Duplicate  bool            `json:"duplicate,omitempty"` // fault: extra copy
	BadSign    bool            `json:"bad_sign,omitempty"`  // fault: corrupted signature
	Resource   json.RawMessage `json:"resource"`            // the decrypted resource, for reading
}

// notification is one logical notification with its retry state; guarded by Sandbox.mu.
type notification struct {
	id, mchID, outTradeNo, event, url string
	body                              []byte // the JSON envelope, identical on every attempt
	plain                             []byte
	attempts                          int
	due                               time.Time
	inflight, done                    bool
}

// notifyLocked queues a notification of event for t (and rf for refund events) if the
// event is switched on and there is a URL to send it to.
func (s *Sandbox) notifyLocked(event string, t *Trade, rf *Refund, url string, now time.Time) {
	m := s.merchants[t.MchID]
	if url == "" || m == nil || !s.faults.notifyEnabled(event) {
		return
	}
	plain, kind := resourceJSON(t, rf)
	res, err := wechatpay.Encrypt(m.APIv3Key, kind, kind, randomFrom(alnum, 12), plain)
	if err != nil {
		return // unreachable: the key was checked at registration
	}
	id := randomHex(4) + "-" + randomHex(2) + "-5" + randomHex(2)[1:] + "-" + randomHex(2) + "-" + randomHex(6)
	body, _ := json.Marshal(map[string]any{"id": id, "create_time": fmtTime(now), "resource_type": "encrypt-resource",
		"event_type": event, "summary": summaries[event], "resource": res})
	n := &notification{id: id, mchID: t.MchID, outTradeNo: t.OutTradeNo, event: event, url: url, body: body, plain: plain,
		due: now.Add(s.faults.notifyDelay())}
	if s.faults.roll(rollReorder) {
		n.due = n.due.Add(reorderHold)
	}
	s.pending = append(s.pending, n)
	s.wakeLoop()
}

// resourceJSON is the plaintext of a notification: the transaction, or the refund as
// REFUND.* notifications carry it (refund_status, mchid).
func resourceJSON(t *Trade, rf *Refund) ([]byte, string) {
	if rf == nil {
		b, _ := json.Marshal(transactionJSON(t))
		return b, "transaction"
	}
	v := map[string]any{"mchid": rf.MchID, "transaction_id": rf.TransactionID, "out_trade_no": rf.OutTradeNo,
		"refund_id": rf.RefundID, "out_refund_no": rf.OutRefundNo, "refund_status": rf.Status,
		"user_received_account": "支付用户零钱",
		"amount":                map[string]any{"total": rf.Total, "refund": rf.Refund, "payer_total": rf.Total, "payer_refund": rf.Refund}}
	if rf.SuccessTime != nil {
		v["success_time"] = fmtTime(*rf.SuccessTime)
	}
	b, _ := json.Marshal(v)
	return b, "refund"
}

// corruptSign flips one bit of a signature, keeping it valid base64.
func corruptSign(sig string) string {
	b, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(b) == 0 {
		return "AAAA"
	}
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Sandbox) wakeLoop() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
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
