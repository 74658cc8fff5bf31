package breaker

import (
	"context"
	"errors"
	"net/url"

	"github.com/sony/gobreaker/v2"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// kind is how the breaker treats one method of payment.Channel.
type kind int

const (
	unclassified kind = iota
	// newMoney starts a new money movement: refused while the breaker is open, a probe
	// when it is half-open.
	newMoney
	// settling settles money already moving: always sent, and a probe whenever the breaker
	// takes its outcome (closed, or half-open with a probe slot free).
	settling
	// local never reaches Alipay: passed through untouched and not counted.
	local
)

// kinds classifies every method of payment.Channel by name (docs/decisions.md, "Circuit
// breaker"). A method added to the port must be added here (TestEveryMethodClassified
// fails otherwise) and given a method on Channel below, which otherwise no longer compiles
// as a payment.Channel: nothing passes through by default. A barcode charge
// (alipay.trade.pay) is newMoney; the cancel that ends an unconfirmed one is settling.
var kinds = map[string]kind{
	"Precreate": newMoney,
	// A refund moves money anew at the merchant's request. A refused one stays pending and
	// the reconciler sends it again once Alipay answers (payment.Service.ReconcileRefund).
	"Refund":             newMoney,
	"Query":              settling,
	"RefundQuery":        settling,
	"Close":              settling,
	"VerifyNotification": local,
	"AppID":              local,
	"SellerID":           local,
}

var (
	_ payment.Channel  = (*Channel)(nil)
	_ payment.Admitter = (*Channel)(nil)
)

// Precreate asks Alipay for a QR (newMoney). Errors: those of the wrapped channel, or
// UPSTREAM_UNAVAILABLE with RetryAfter when the breaker refuses it.
func (c *Channel) Precreate(ctx context.Context, r payment.PrecreateRequest) (string, error) {
	var qr string
	err := c.call(ctx, "Precreate", func() (err error) { qr, err = c.next.Precreate(ctx, r); return err })
	return qr, err
}

// Refund asks Alipay for a refund (newMoney). Errors: those of the wrapped channel, or
// UPSTREAM_UNAVAILABLE with RetryAfter when the breaker refuses it.
func (c *Channel) Refund(ctx context.Context, r payment.RefundRequest) (*payment.RefundResult, error) {
	var res *payment.RefundResult
	err := c.call(ctx, "Refund", func() (err error) { res, err = c.next.Refund(ctx, r); return err })
	return res, err
}

// Query asks Alipay about a trade (settling: never refused). Errors: the wrapped channel's.
func (c *Channel) Query(ctx context.Context, outTradeNo string) (*payment.Trade, error) {
	var t *payment.Trade
	err := c.call(ctx, "Query", func() (err error) { t, err = c.next.Query(ctx, outTradeNo); return err })
	return t, err
}

// RefundQuery asks Alipay about a refund (settling: never refused). Errors: the wrapped
// channel's.
func (c *Channel) RefundQuery(ctx context.Context, outTradeNo, refundNo string) (*payment.RefundResult, error) {
	var res *payment.RefundResult
	err := c.call(ctx, "RefundQuery", func() (err error) { res, err = c.next.RefundQuery(ctx, outTradeNo, refundNo); return err })
	return res, err
}

// Close ends an unpaid trade at Alipay (settling: never refused, an expired order must be
// closed). Errors: the wrapped channel's.
func (c *Channel) Close(ctx context.Context, outTradeNo string) error {
	return c.call(ctx, "Close", func() error { return c.next.Close(ctx, outTradeNo) })
}

// AdmitNew tells payment.Service, before it writes a new order, whether a new money
// movement would be refused now (payment.Admitter): nil, or the UPSTREAM_UNAVAILABLE the
// refusal answers with. It takes no probe slot; the call itself still goes through call.
func (c *Channel) AdmitNew() error {
	if c.State() == Open {
		return c.refusal(gobreaker.ErrOpenState)
	}
	return nil
}

// VerifyNotification is the wrapped channel's, untouched (local: no call to Alipay).
func (c *Channel) VerifyNotification(form url.Values) (*payment.Notification, error) {
	return c.next.VerifyNotification(form)
}

// AppID is the wrapped channel's.
func (c *Channel) AppID() string { return c.next.AppID() }

// SellerID is the wrapped channel's.
func (c *Channel) SellerID() string { return c.next.SellerID() }

// call runs fn, one call to Alipay by method, under the breaker. A method the breaker does
// not take now is refused if it is not settling (an unclassified one included, the cautious
// side); a settling one is sent anyway, uncounted: the open period is fixed, so that a
// gateway answering queries while it fails precreates does not reopen the way to new
// orders early. A panic in fn frees its probe slot and goes on.
func (c *Channel) call(ctx context.Context, method string, fn func() error) error {
	done, err := c.cb.Allow()
	if err != nil {
		if kindOf(method) != settling {
			return c.refusal(err)
		}
		return fn()
	}
	reported := false
	defer func() {
		if !reported {
			done(errExcluded)
		}
	}()
	err = fn()
	reported = true
	done(c.verdict(ctx, method, err))
	return err
}

// verdict is what one outcome says about Alipay's health: an unknown outcome is a failure;
// an answer, even a business refusal, a success; the caller hanging up (context.Canceled)
// or an error that is not Alipay's (a caller error) says nothing. A caller's deadline that
// runs out counts as a failure: Alipay was too slow for it.
func (c *Channel) verdict(ctx context.Context, method string, err error) error {
	switch payment.ErrorCode(err) {
	case "", payment.CodeUpstreamRejected:
		return nil
	case payment.CodeUpstreamUnavailable:
		if errors.Is(ctx.Err(), context.Canceled) {
			return errExcluded
		}
		c.last.Store(&lastFailure{method: method, err: err.Error()})
		return errFailure
	}
	return errExcluded
}
