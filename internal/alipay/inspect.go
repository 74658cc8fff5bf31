package alipay

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// What `f2fpay doctor` asks of the channel: one signed call whose answer is shown as it
// came, the certificates of certificate mode with their SNs, and the Alipay certificates
// Alipay signs with now, checked against the root as the running gateway would.

// QueryProbe is the answer to one alipay.trade.query, unfolded.
type QueryProbe struct {
	// Code, SubCode and SubMsg are Alipay's answer (Code 10000 for a trade that exists);
	// empty when no answer was read.
	Code, SubCode, SubMsg string
	// BadSignature: an answer came back but its signature did not verify with the
	// configured Alipay public key or certificates (or it carried none where one is due).
	BadSignature bool
	// Err is the call's result as the channel folds it: nil for 10000, UPSTREAM_REJECTED for
	// a refusal (ACQ.TRADE_NOT_EXIST included), UPSTREAM_UNAVAILABLE for no usable answer.
	Err error
}

// ProbeQuery sends a signed alipay.trade.query of outTradeNo and reports the answer. It is
// not recorded (no order owns it). A made-up out_trade_no gets ACQ.TRADE_NOT_EXIST when
// the app id, both keys and the gateway are right.
func (c *Channel) ProbeQuery(ctx context.Context, outTradeNo string) QueryProbe {
	var rsp queryRsp
	p := alipay.TradeQuery{OutTradeNo: outTradeNo}
	err, signed := fold(p.APIName(), &rsp.Error, c.client.Request(ctx, c.param(p), &rsp))
	out := QueryProbe{Err: err, BadSignature: !signed}
	var pe *payment.Error
	switch {
	case err == nil:
		out.Code = codeSuccess
	case errors.As(err, &pe):
		out.Code, out.SubCode, out.SubMsg = pe.AlipayCode, pe.AlipaySubCode, pe.AlipaySubMsg
	}
	return out
}

// CertSet is certificate mode's configured certificates, parsed, with the SNs the
// channel sends and expects.
type CertSet struct {
	App, Alipay             *x509.Certificate
	Roots                   []*x509.Certificate // the parseable certificates of the root bundle, in order
	RSARoots                []bool              // which of Roots count in the root SN (RSA-family signed)
	AppCertSN, AlipayCertSN string
	RootCertSN              string // alipay_root_cert_sn
	// AlipayRefusal says why the configured Alipay certificate would not pass the checks a
	// downloaded one must (chain to the roots, dates, RSA key); nil when it passes. The
	// channel still uses it, as configured, but a renewal that fails them is refused.
	AlipayRefusal *CertRefusal
}

// InspectCerts parses certificate mode's three PEM documents as the channel does, and
// computes their SNs (docs/decisions.md, "Alipay channel"). now dates the check of the
// Alipay certificate. Its errors name the certificate that cannot be read.
func InspectCerts(appPEM, alipayPEM, rootPEM []byte, now time.Time) (*CertSet, error) {
	app, err := firstCert(appPEM)
	if err != nil {
		return nil, fmt.Errorf("alipay: app public-key certificate: %w", err)
	}
	ali, err := firstCert(alipayPEM)
	if err != nil {
		return nil, fmt.Errorf("alipay: Alipay public-key certificate: %w", err)
	}
	roots, err := certs(rootPEM)
	if err != nil {
		return nil, fmt.Errorf("alipay: Alipay root certificate: %w", err)
	}
	s := &CertSet{App: app, Alipay: ali, Roots: roots, AppCertSN: certSN(app), AlipayCertSN: certSN(ali), RootCertSN: rootCertSN(roots)}
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
		s.RSARoots = append(s.RSARoots, rsaFamilySigned(r))
	}
	t := &certTrust{roots: pool, now: func() time.Time { return now }}
	_, s.AlipayRefusal = t.check(alipayPEM, s.AlipayCertSN, "configuration")
	return s, nil
}

// CertCheck is what CheckAlipayCerts found.
type CertCheck struct {
	// Current is the SN of the certificate Alipay signs with now (the alipay_cert_sn of
	// the answer to a certificate download); "" when Alipay did not say.
	Current string
	// CurrentTrusted: Current passed the checks (configured, from the cache or downloaded).
	CurrentTrusted bool
	Cached         int            // certificates in the shared cache
	Refused        []*CertRefusal // certificates refused: from the cache, or Current downloaded
	Err            error          // why Current could not be learnt or checked
}

// CheckAlipayCerts does in one go what the channel does when it meets a certificate it
// does not know: it checks every certificate of the shared cache against the root bundle,
// asks Alipay which certificate it signs with now, and fetches and checks that one if it
// is new. A running gateway's LastCertRefusal lives in its own process; this shows the
// same refusals to another one (doctor). It fails only in public-key mode.
func (c *Channel) CheckAlipayCerts(ctx context.Context) (*CertCheck, error) {
	t := c.trust
	if t == nil {
		return nil, errors.New("alipay: public-key mode has no certificates")
	}
	if err := t.acquire(ctx); err != nil {
		return nil, err
	}
	defer t.release()
	out := &CertCheck{}
	refused := func(err error) bool {
		var r *CertRefusal
		if errors.As(err, &r) && !slices.ContainsFunc(out.Refused, func(o *CertRefusal) bool { return o.SN == r.SN && o.Source == r.Source }) {
			out.Refused = append(out.Refused, r)
		}
		return r != nil
	}
	all, err := t.cache.ListAlipayCerts(ctx)
	if err != nil {
		out.Err = fmt.Errorf("certificate cache: %v", err)
	}
	out.Cached = len(all)
	for _, sn := range slices.Sorted(maps.Keys(all)) {
		if t.lookup(sn) == nil {
			refused(t.admit(all[sn], sn, "cache"))
		}
	}
	current, err := t.fetchCurrent(ctx)
	if out.Current = current; current == "" {
		out.Err = errors.Join(out.Err, err)
		return out, nil
	}
	if err := t.ensureHeld(ctx, current); err != nil && !refused(err) {
		out.Err = errors.Join(out.Err, err)
	}
	out.CurrentTrusted = t.lookup(current) != nil
	return out, nil
}
