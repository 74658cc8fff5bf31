package wechatpay

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseNotification feeds arbitrary bodies, signed and unsigned, and arbitrary resource
// plaintexts sealed with the right key, through the whole parser: it must never panic, must
// return either a notification or one of its sentinel errors, and must never hand back a
// transaction or refund that violates the checks it promises.
//
// An RSA-2048 signature costs about 2 ms here, a hundred times the rest of an execution,
// and minimizing a new input runs the target on a number of candidates quadratic in its
// length: signing every signed execution held the target under 100 executions a second and
// froze it for most of a minute on each long input. So a signed body goes to
// openNotification, which is ParseNotification once the signature has verified; one signed
// body in 16, chosen by its hash, also goes through ParseNotification with a real signature,
// which must give the same answer. Unsigned bodies always take the whole path.
func FuzzParseNotification(f *testing.F) {
	env, _ := notification(f, EventTransactionSuccess, nodeResource()) // seed
	f.Add(env, true, []byte(nodePlaintext), EventTransactionSuccess)
	f.Add([]byte(`{}`), true, []byte(`{"refund_status":"SUCCESS"}`), EventRefundSuccess)
	f.Add([]byte(nil), true, []byte(refundPlaintext("SUCCESS")), EventRefundSuccess) // hashed to the whole path
	f.Add([]byte(`not json`), false, []byte(`[]`), "REFUND.CLOSED")
	c := newTestClient(f, nil)
	f.Fuzz(func(t *testing.T, body []byte, sign bool, plain []byte, event string) {
		if len(body) > 2048 || len(plain) > 1024 || len(event) > 64 { // minimizing is quadratic in length
			return
		}
		if len(plain) > 0 {
			// Seal the fuzzed plaintext into a well-formed envelope so the fuzzer reaches the
			// resource parsers; otherwise fuzz the raw envelope.
			r, err := Encrypt(nodeAPIv3Key, "transaction", "transaction", nodeNonce, plain)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = json.Marshal(map[string]any{"id": "x", "event_type": event, "resource_type": "encrypt-resource", "resource": r})
		}
		var n *Notification
		var err error
		if sign {
			n, err = c.openNotification(body)
			if sha256.Sum256(body)[0]%16 == 0 {
				whole, wholeErr := c.ParseNotification(signedHeaders(t, otherKey(t), testPubKeyID, testNow, body), body)
				if !sameOutcome(n, err, whole, wholeErr) {
					t.Fatalf("signed: ParseNotification (error %v) and openNotification (error %v) disagree", wholeErr, err)
				}
			}
		} else {
			n, err = c.ParseNotification(map[string][]string{}, body)
		}
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

// sameOutcome reports whether two parses gave equal notifications or the same error.
func sameOutcome(a *Notification, aErr error, b *Notification, bErr error) bool {
	if aErr != nil || bErr != nil {
		return aErr != nil && bErr != nil && aErr.Error() == bErr.Error()
	}
	return reflect.DeepEqual(a, b)
}
