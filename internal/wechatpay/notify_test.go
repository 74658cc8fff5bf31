package wechatpay

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const (
	testMchID    = "1900000109"
	testAppID    = "wxd678efh567hg6787"
	testPubKeyID = "PUB_KEY_ID_0119000001092024060500000001"
)

var testNow = time.Date(2024, 6, 5, 12, 0, 5, 0, time.UTC)

// newTestClient is a Client whose platform key is otherKey and whose merchant key is the
// SDK's test key, pinned to testNow.
func newTestClient(t testing.TB, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{MchID: testMchID, AppID: testAppID, CertSerial: "3775B6A45ACD588826D15E583A95F5DD********",
		PrivateKey: strings.ReplaceAll(sdkPrivateKey, "TESTING KEY", "PRIVATE KEY"), APIv3Key: nodeAPIv3Key,
		PlatformPublicKey: PublicKeyPEM(&otherKey(t).PublicKey), PlatformPublicKeyID: testPubKeyID,
		Gateway: "http://127.0.0.1:1", Clock: fixedClock{testNow}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// notification builds a notification body around r and signs it with the platform key.
func notification(t testing.TB, event string, r Resource) ([]byte, func() map[string][]string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"id": "EV-2018022511223320873", "create_time": "2024-06-05T20:00:02+08:00",
		"resource_type": "encrypt-resource", "event_type": event, "summary": "支付成功", "resource": r})
	if err != nil {
		t.Fatal(err)
	}
	return body, func() map[string][]string { return signedHeaders(t, otherKey(t), testPubKeyID, testNow, body) }
}

// The whole official SDK notification: verified with its certificate, opened with its
// (AES-128) key; an event this package does not parse still yields its plaintext.
func TestParseNotificationOfficialVector(t *testing.T) {
	n, err := parseNotification(sdkVerifier(t), []byte("testMchAPIv3Key0"), sdkNotifyHeaders(), []byte(sdkNotifyBody),
		time.Unix(sdkNotifyTimestamp, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mchid":"1234567890","appid":"054aa7d7a2a54ab5898df65bd96f001c","create_time":"2020-06-30T12:12:00+08:00","out_contract_code":"21640bdbd08e473e828f3206a2741c6e"}`
	if string(n.Plaintext) != want || n.ID != "3119dfba-e649-5eec-ab1e-3412bc4d2e17" ||
		n.EventType != "PAYSCORE.USER_OPEN_SERVICE" || n.Summary != "签约成功" || n.Transaction != nil || n.Refund != nil {
		t.Fatalf("notification %+v, plaintext %s", n, n.Plaintext)
	}
	if n.CreateTime == nil || !n.CreateTime.Equal(time.Date(2021, 6, 24, 8, 37, 26, 0, time.UTC)) {
		t.Fatalf("create_time %v", n.CreateTime)
	}
}

func TestClientParsesTransactionNotification(t *testing.T) {
	body, hdr := notification(t, EventTransactionSuccess, nodeResource())
	n, err := newTestClient(t, nil).ParseNotification(hdr(), body)
	if err != nil {
		t.Fatal(err)
	}
	tx := n.Transaction
	paid := time.Date(2024, 6, 5, 4, 0, 1, 0, time.UTC)
	if tx == nil || tx.OutTradeNo != "f2f20240605001" || tx.TransactionID != "4200000001202406050123456789" ||
		tx.State != TradeSuccess || tx.Total != 990 || tx.PayerTotal != 990 || tx.Currency != "CNY" ||
		tx.PayerOpenID != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" || tx.SuccessTime == nil || !tx.SuccessTime.Equal(paid) {
		t.Fatalf("transaction %+v", tx)
	}
	foreign := newTestClient(t, func(c *Config) { c.MchID = "1900000110" })
	if _, err := foreign.ParseNotification(hdr(), body); !errors.Is(err, ErrForeign) {
		t.Fatalf("another merchant's notification: %v", err)
	}
	if code := payment.ErrorCode(ToPayment(ErrForeign)); code != payment.CodeUnauthorized {
		t.Fatalf("ErrForeign folds to %s", code)
	}
}

// refundPlaintext is the resource of a refund notification of 3.00 of a 9.90 order.
func refundPlaintext(status string) string {
	return `{"mchid":"1900000109","transaction_id":"4200000001202406050123456789","out_trade_no":"f2f20240605001",` +
		`"refund_id":"50000000382019052709732678859","out_refund_no":"f2f20240605001-r1","refund_status":"` + status + `",` +
		`"success_time":"2024-06-05T20:10:00+08:00","user_received_account":"支付用户零钱",` +
		`"amount":{"total":990,"refund":300,"payer_total":990,"payer_refund":300}}`
}

func refundResource(t *testing.T, status string) Resource {
	t.Helper()
	r, err := Encrypt(nodeAPIv3Key, "refund", "refund", "0123456789ab", []byte(refundPlaintext(status)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestClientParsesRefundNotification(t *testing.T) {
	c := newTestClient(t, nil)
	body, hdr := notification(t, EventRefundSuccess, refundResource(t, "SUCCESS"))
	n, err := c.ParseNotification(hdr(), body)
	if err != nil {
		t.Fatal(err)
	}
	r := n.Refund
	if r == nil || r.OutRefundNo != "f2f20240605001-r1" || r.Status != RefundSuccess || r.Refund != 300 || r.Total != 990 ||
		r.MchID != testMchID || r.SuccessTime == nil {
		t.Fatalf("refund %+v", r)
	}
	body, hdr = notification(t, EventRefundSuccess, refundResource(t, "ABNORMAL"))
	if _, err := c.ParseNotification(hdr(), body); !errors.Is(err, ErrMalformed) {
		t.Fatalf("REFUND.SUCCESS carrying ABNORMAL: %v", err)
	}
	body, hdr = notification(t, EventRefundAbnormal, refundResource(t, "ABNORMAL"))
	if n, err := c.ParseNotification(hdr(), body); err != nil || n.Refund.Status != RefundAbnormal {
		t.Fatalf("REFUND.ABNORMAL: %v", err)
	}
}

func TestParseNotificationRefusesMalformed(t *testing.T) {
	c := newTestClient(t, nil)
	sign := func(b string) ([]byte, map[string][]string) {
		return []byte(b), signedHeaders(t, otherKey(t), testPubKeyID, testNow, []byte(b))
	}
	res, _ := json.Marshal(nodeResource())
	cases := map[string]string{
		"not JSON":        `id=1`,
		"two objects":     `{"id":"a","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","resource":` + string(res) + `}{}`,
		"no id":           `{"event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","resource":` + string(res) + `}`,
		"plain resource":  `{"id":"a","event_type":"TRANSACTION.SUCCESS","resource_type":"plain","resource":` + string(res) + `}`,
		"bad create_time": `{"id":"a","create_time":"yesterday","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","resource":` + string(res) + `}`,
		"refund as trade": `{"id":"a","event_type":"REFUND.SUCCESS","resource_type":"encrypt-resource","resource":` + string(res) + `}`,
	}
	for name, b := range cases {
		body, h := sign(b)
		if _, err := c.ParseNotification(h, body); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	body, _ := notification(t, EventTransactionSuccess, nodeResource())
	if _, err := c.ParseNotification(map[string][]string{}, body); !errors.Is(err, ErrSignature) {
		t.Errorf("unsigned: %v", err)
	}
	if code := payment.ErrorCode(ToPayment(ErrMalformed)); code != payment.CodeInvalidParameter {
		t.Errorf("ErrMalformed folds to %s", code)
	}
	big, h := sign(`{"id":"` + strings.Repeat("x", MaxNotificationBody) + `"}`)
	if _, err := c.ParseNotification(h, big); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized: %v", err)
	}
}

func TestWriteNotifyAnswer(t *testing.T) {
	w := httptest.NewRecorder()
	WriteNotifyAnswer(w, nil)
	if w.Code != 204 || w.Body.Len() != 0 {
		t.Fatalf("success: %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	WriteNotifyAnswer(w, errors.New("secret reason"))
	var b struct{ Code, Message string }
	if w.Code != 500 || json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Code != "FAIL" || strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("failure: %d %s", w.Code, w.Body)
	}
}
