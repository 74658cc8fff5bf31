package payment_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testenv"
)

// merchantReads counts the store's GetMerchant calls.
type merchantReads struct {
	payment.Store
	n atomic.Int64
}

func (r *merchantReads) GetMerchant(ctx context.Context, appID string) (*payment.Merchant, error) {
	r.n.Add(1)
	return r.Store.GetMerchant(ctx, appID)
}

// TestMerchantSecretsCache: authentication reads a merchant once per
// DefaultMerchantCacheTTL; a rotation or a disabling through the Service is seen by the
// very next request; a change the store got from elsewhere (another instance, the CLI) is
// seen once the TTL has passed.
func TestMerchantSecretsCache(t *testing.T) {
	clk := &stepClock{}
	reads := &merchantReads{}
	env := testenv.New(t, testenv.Options{Clock: clk, WrapStore: func(s payment.Store) payment.Store { reads.Store = s; return reads }})
	svc := env.Service
	m, secret, err := svc.CreateMerchant(rbg, "cache", "")
	if err != nil {
		t.Fatal(err)
	}
	only := func(want ...string) {
		t.Helper()
		_, got, err := svc.MerchantSecrets(rbg, m.AppID)
		if err != nil || len(got) != len(want) {
			t.Fatalf("secrets: %d, %v; want %d", len(got), err, len(want))
		}
		for i := range want {
			if string(got[i]) != want[i] {
				t.Fatalf("secret %d is not the one issued", i)
			}
		}
	}
	refused := func(why string) {
		t.Helper()
		if _, _, err := svc.MerchantSecrets(rbg, m.AppID); payment.ErrorCode(err) != payment.CodeUnauthorized {
			t.Fatalf("%s: %v, want UNAUTHORIZED", why, err)
		}
	}

	before := reads.n.Load()
	for range 100 {
		only(secret)
	}
	if n := reads.n.Load() - before; n != 1 {
		t.Fatalf("100 authentications read the merchant %d times, want 1", n)
	}

	// Rotation with a grace: both verify at once; without one, the old one is refused at once.
	second, err := svc.RotateMerchant(rbg, m.AppID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	only(second, secret)
	third, err := svc.RotateMerchant(rbg, m.AppID, 0)
	if err != nil {
		t.Fatal(err)
	}
	only(third)

	// A grace runs out on the clock, cached or not.
	fourth, err := svc.RotateMerchant(rbg, m.AppID, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	only(fourth, third)
	clk.advance(time.Second)
	only(fourth)

	if err := svc.SetMerchantDisabled(rbg, m.AppID, true); err != nil {
		t.Fatal(err)
	}
	refused("disabled through the Service")
	if err := svc.SetMerchantDisabled(rbg, m.AppID, false); err != nil {
		t.Fatal(err)
	}
	only(fourth)

	// Another instance disables it: the row changes under this Service's cache.
	row, err := reads.Store.GetMerchant(rbg, m.AppID)
	if err != nil {
		t.Fatal(err)
	}
	row.Disabled = true
	if err := reads.UpdateMerchant(rbg, row); err != nil {
		t.Fatal(err)
	}
	clk.advance(payment.DefaultMerchantCacheTTL)
	refused("disabled elsewhere, after the TTL")
}
