package wechatpay

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseNotification feeds arbitrary bodies, signed and unsigned, and arbitrary resource
// plaintexts sealed with the right key, through the whole parser: it must never panic, must
// return either a notification or one of its sentinel errors, and must never hand back a
// transaction or refund that violates the checks it promises.
func FuzzParseNotification(f *testing.F) {
	env, _ := notification(f, EventTransactionSuccess, nodeResource()) // seed
	f.Add(env, true, []byte(nodePlaintext), EventTransactionSuccess)
	f.Add([]byte(`{}`), true, []byte(`{"refund_status":"SUCCESS"}`), EventRefundSuccess)
	f.Add([]byte(`not json`), false, []byte(`[]`), "REFUND.CLOSED")
	c := newTestClient(f, nil)
	f.Fuzz(func(t *testing.T, body []byte, sign bool, plain []byte, event string) {
		if len(plain) > 0 {
			// Seal the fuzzed plaintext into a well-formed envelope so the fuzzer reaches the
			// resource parsers; otherwise fuzz the raw envelope.
			r, err := Encrypt(nodeAPIv3Key, "transaction", "transaction", nodeNonce, plain)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = json.Marshal(map[string]any{"id": "x", "event_type": event, "resource_type": "encrypt-resource", "resource": r})
		}
		h := map[string][]string{}
		if sign {
			h = signedHeaders(t, otherKey(t), testPubKeyID, testNow, body)
		}
		n, err := c.ParseNotification(h, body)
		if err != nil {
			if !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrForeign) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !sign {
			t.Fatal("an unsigned notification was accepted")
		}
		if tx := n.Transaction; tx != nil && (tx.MchID != testMchID || !tx.State.Known() || tx.Total < 0) {
			t.Fatalf("transaction escaped the checks: %+v", tx)
		}
		if r := n.Refund; r != nil && (r.MchID != testMchID || !r.Status.Known() || r.Refund < 1 || r.Total < r.Refund) {
			t.Fatalf("refund escaped the checks: %+v", r)
		}
	})
}
