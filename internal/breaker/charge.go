package breaker

import (
	"context"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// chargeKinds classifies the methods of payment.Charger, the barcode payment the Alipay
// channel offers besides the port (docs/decisions.md, "Barcode payment: the settle rules"):
// a charge starts a new money movement; the cancel that ends an unconfirmed or unknown one
// settles it and must reach Alipay while the breaker is open.
var chargeKinds = map[string]kind{
	"Pay":    newMoney,
	"Cancel": settling,
}

// kindOf is how the breaker treats a method of payment.Channel or payment.Charger.
func kindOf(method string) kind {
	if k, ok := kinds[method]; ok {
		return k
	}
	return chargeKinds[method]
}

var _ payment.Charger = (*Channel)(nil)

// Pay charges a buyer's payment code (newMoney). Errors: the wrapped channel's, or
// UPSTREAM_UNAVAILABLE with RetryAfter when the breaker refuses it or the wrapped channel
// takes no barcode payments.
func (c *Channel) Pay(ctx context.Context, r payment.PayRequest) (*payment.PayResult, error) {
	ch, ok := c.next.(payment.Charger)
	if !ok {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "the channel takes no barcode payments")
	}
	var res *payment.PayResult
	err := c.call(ctx, "Pay", func() (err error) { res, err = ch.Pay(ctx, r); return err })
	return res, err
}

// Cancel ends a barcode trade at Alipay (settling: never refused). Errors: the wrapped
// channel's.
func (c *Channel) Cancel(ctx context.Context, outTradeNo string) (*payment.CancelResult, error) {
	ch, ok := c.next.(payment.Charger)
	if !ok {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "the channel takes no barcode payments")
	}
	var res *payment.CancelResult
	err := c.call(ctx, "Cancel", func() (err error) { res, err = ch.Cancel(ctx, outTradeNo); return err })
	return res, err
}
