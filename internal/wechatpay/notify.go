package wechatpay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// MaxNotificationBody bounds a notification body; WeChat Pay's are about 1 KiB.
const MaxNotificationBody = 64 << 10

// Notification event types of Native payments and refunds.
const (
	EventTransactionSuccess = "TRANSACTION.SUCCESS"
	EventRefundSuccess      = "REFUND.SUCCESS"
	EventRefundAbnormal     = "REFUND.ABNORMAL"
	EventRefundClosed       = "REFUND.CLOSED"
)

// resourceTypeEncrypted is the only resource_type of APIv3 notifications.
const resourceTypeEncrypted = "encrypt-resource"

var (
	// ErrMalformed is wrapped when a verified notification is not what APIv3 sends: not
	// JSON, missing fields, an unknown resource type, an undocumented state.
	ErrMalformed = errors.New("wechatpay: malformed notification")
	// ErrForeign is wrapped when a verified notification names another merchant or AppID.
	ErrForeign = errors.New("wechatpay: notification for another merchant")
)

// Notification is a verified, decrypted notification. Transaction is set for TRANSACTION.*
// events, Refund for REFUND.* events; other events carry only Plaintext.
type Notification struct {
	ID           string // the same on every retry of one notification
	CreateTime   *time.Time
	EventType    string
	ResourceType string
	Summary      string
	Resource     Resource // as received, still encrypted
	Plaintext    []byte   // the decrypted resource
	Transaction  *Transaction
	Refund       *Refund
}

type wireNotification struct {
	ID           string    `json:"id"`
	CreateTime   string    `json:"create_time"`
	EventType    string    `json:"event_type"`
	ResourceType string    `json:"resource_type"`
	Summary      string    `json:"summary"`
	Resource     *Resource `json:"resource"`
}

// ParseNotification verifies a notification's Wechatpay-* headers over its raw body,
// decrypts its resource with the APIv3 key and parses it, checking that it is for this
// client's merchant (and AppID, for transactions). Errors wrap ErrSignature (headers,
// signature, timestamp), ErrDecrypt, ErrMalformed or ErrForeign; ToPayment folds them.
func (c *Client) ParseNotification(h http.Header, body []byte) (*Notification, error) {
	if err := verifyNotification(c.verifier, h, body, c.clock.Now()); err != nil {
		return nil, err
	}
	return c.openNotification(body)
}

// openNotification is ParseNotification once the signature has verified. It is a function
// of its own so that the fuzz target can reach it without an RSA signature per execution,
// which costs a hundred times the rest (notify_fuzz_test.go).
func (c *Client) openNotification(body []byte) (*Notification, error) {
	n, err := decodeNotification([]byte(c.apiV3Key), body)
	if err != nil {
		return nil, err
	}
	switch {
	case n.Transaction != nil && (n.Transaction.MchID != c.mchID || n.Transaction.AppID != c.appID):
		return nil, fmt.Errorf("%w: mchid %q appid %q", ErrForeign, truncate(n.Transaction.MchID, 32), truncate(n.Transaction.AppID, 32))
	case n.Refund != nil && n.Refund.MchID != c.mchID:
		return nil, fmt.Errorf("%w: mchid %q", ErrForeign, truncate(n.Refund.MchID, 32))
	}
	return n, nil
}

// parseNotification is ParseNotification for any verifier and AES key, without the
// merchant checks.
func parseNotification(v *Verifier, key []byte, h http.Header, body []byte, now time.Time) (*Notification, error) {
	if err := verifyNotification(v, h, body, now); err != nil {
		return nil, err
	}
	return decodeNotification(key, body)
}

// verifyNotification bounds the body, then checks its signature.
func verifyNotification(v *Verifier, h http.Header, body []byte, now time.Time) error {
	if len(body) > MaxNotificationBody {
		return fmt.Errorf("%w: body over %d bytes", ErrMalformed, MaxNotificationBody)
	}
	return v.Verify(h, body, now)
}

// decodeNotification reads a verified body: the envelope, then the resource decrypted with
// key.
func decodeNotification(key, body []byte) (*Notification, error) {
	var w wireNotification
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil || dec.More() {
		return nil, fmt.Errorf("%w: not one JSON object", ErrMalformed)
	}
	if w.ID == "" || w.EventType == "" || w.Resource == nil {
		return nil, fmt.Errorf("%w: id, event_type and resource are required", ErrMalformed)
	}
	if w.ResourceType != resourceTypeEncrypted || w.Resource.Algorithm != AlgorithmAES256GCM {
		return nil, fmt.Errorf("%w: resource %q/%q, want %s/%s", ErrMalformed, truncate(w.ResourceType, 32),
			truncate(w.Resource.Algorithm, 32), resourceTypeEncrypted, AlgorithmAES256GCM)
	}
	created, err := parseTime("create_time", w.CreateTime)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	plain, err := openGCM(key, *w.Resource)
	if err != nil {
		return nil, err
	}
	n := &Notification{ID: w.ID, CreateTime: created, EventType: w.EventType, ResourceType: w.ResourceType,
		Summary: w.Summary, Resource: *w.Resource, Plaintext: plain}
	if err := n.parseResource(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, truncate(w.EventType, 40), err)
	}
	return n, nil
}

// parseResource reads the plaintext of the events this package knows.
func (n *Notification) parseResource() error {
	switch {
	case strings.HasPrefix(n.EventType, "TRANSACTION."):
		var w wireTransaction
		if err := json.Unmarshal(n.Plaintext, &w); err != nil {
			return errors.New("resource is not a transaction")
		}
		t, err := w.transaction()
		if err != nil {
			return err
		}
		if n.EventType == EventTransactionSuccess && t.State != TradeSuccess {
			return fmt.Errorf("trade_state %s in a success notification", t.State)
		}
		n.Transaction = t
	case strings.HasPrefix(n.EventType, "REFUND."):
		var w wireRefund
		if err := json.Unmarshal(n.Plaintext, &w); err != nil {
			return errors.New("resource is not a refund")
		}
		r, err := w.refund()
		if err != nil {
			return err
		}
		if want := RefundStatus(strings.TrimPrefix(n.EventType, "REFUND.")); want.Known() && r.Status != want {
			return fmt.Errorf("refund_status %s in a %s notification", r.Status, n.EventType)
		}
		n.Refund = r
	}
	return nil
}

// WriteNotifyAnswer answers a notification as WeChat Pay expects: 204 with no body when err
// is nil (received; WeChat Pay stops retrying), else 500 with {"code":"FAIL","message":…}
// (WeChat Pay retries on its schedule). The message is generic: the reason stays in our logs.
func WriteNotifyAnswer(w http.ResponseWriter, err error) {
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(`{"code":"FAIL","message":"失败"}`))
}
