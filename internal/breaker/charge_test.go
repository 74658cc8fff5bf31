package breaker

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// chargeFake is the fake channel that also takes barcode payments.
type chargeFake struct{ fake }

func (f *chargeFake) Pay(context.Context, payment.PayRequest) (*payment.PayResult, error) {
	return &payment.PayResult{}, f.hit("Pay")
}
func (f *chargeFake) Cancel(context.Context, string) (*payment.CancelResult, error) {
	return &payment.CancelResult{Action: payment.CancelActionClose}, f.hit("Cancel")
}

// TestChargeClassified: chargeKinds names each method of payment.Charger, and only those;
// a charge is new money, its cancel settles.
func TestChargeClassified(t *testing.T) {
	port := reflect.TypeFor[payment.Charger]()
	for i := range port.NumMethod() {
		if name := port.Method(i).Name; kindOf(name) == unclassified {
			t.Errorf("payment.Charger.%s is not classified in chargeKinds", name)
		}
	}
	for name := range chargeKinds {
		if _, ok := port.MethodByName(name); !ok {
			t.Errorf("chargeKinds names %s, which payment.Charger lacks", name)
		}
	}
	if chargeKinds["Pay"] != newMoney || chargeKinds["Cancel"] != settling {
		t.Errorf("Pay is %d and Cancel %d; docs/decisions.md says new money and settling", chargeKinds["Pay"], chargeKinds["Cancel"])
	}
}

// TestOpenRefusesCharges: while open, a charge fails fast with a Retry-After without
// reaching Alipay; the cancel of a charge already made still reaches it. A channel that takes
// no barcode payments answers UPSTREAM_UNAVAILABLE.
func TestOpenRefusesCharges(t *testing.T) {
	f := &chargeFake{fake{answer: always(unknown)}}
	c := newTestBreaker(t, &f.fake, Config{Failures: 2, OpenFor: time.Hour})
	c.next = f // the same fake, seen with its Charger methods
	for range 2 {
		if _, err := c.Pay(context.Background(), payment.PayRequest{}); !errors.Is(err, unknown) {
			t.Fatalf("pay: %v", err)
		}
	}
	if c.State() != Open {
		t.Fatalf("state %s after 2 unknown charges, want open", c.State())
	}
	var pe *payment.Error
	if _, err := c.Pay(context.Background(), payment.PayRequest{}); !errors.As(err, &pe) || pe.RetryAfter <= 59*time.Minute || f.count("Pay") != 2 {
		t.Errorf("pay while open: %v after %d calls, want a fail-fast refusal with Retry-After", err, f.count("Pay"))
	}
	if _, err := c.Cancel(context.Background(), "x"); !errors.Is(err, unknown) || f.count("Cancel") != 1 {
		t.Errorf("cancel while open: %v after %d calls, want it sent", err, f.count("Cancel"))
	}

	plain := newTestBreaker(t, &fake{}, Config{})
	if _, err := plain.Pay(context.Background(), payment.PayRequest{}); payment.ErrorCode(err) != payment.CodeUpstreamUnavailable {
		t.Errorf("pay on a channel without barcode payments: %v", err)
	}
}
