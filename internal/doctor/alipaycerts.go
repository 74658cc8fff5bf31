package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/f2fpay/f2fpay/internal/alipay"
)

// checkAlipayCerts shows, in certificate mode, the certificate refusals a running gateway
// would meet. Its channel's LastCertRefusal lives in its own process, so doctor does the
// same work in its own: it checks every certificate of the database's shared cache against
// the root bundle, asks Alipay which certificate it signs with now, and fetches and checks
// that one when it is not the configured one (docs/decisions.md, "Operations").
func (d *doctor) checkAlipayCerts(ctx context.Context) {
	const name = "Alipay certificates"
	if d.channel == nil || !d.cfg.Alipay.CertMode() {
		return
	}
	if d.probe != nil && d.probe.Code == "" && !d.probe.BadSignature {
		d.add(Result{Name: name, Status: Skip, Detail: "not checked: the gateway does not answer"})
		return
	}
	ctx, cancel := d.timeout(ctx)
	defer cancel()
	c, err := d.channel.CheckAlipayCerts(ctx)
	if err != nil {
		d.add(Result{Name: name, Status: Fail, Detail: err.Error()})
		return
	}
	r := judgeCertCheck(c, d.certs, d.store != nil)
	r.Name = name
	d.add(r)
}

// judgeCertCheck reads CheckAlipayCerts' findings. A certificate refused for its dates is
// old news (renewed ones replace it); one refused by the chain, SN or key checks is not.
func judgeCertCheck(c *alipay.CertCheck, s *alipay.CertSet, cacheRead bool) Result {
	var bad, old []string
	for _, r := range c.Refused {
		if r.Reason == alipay.RefusedExpired {
			old = append(old, r.SN)
			continue
		}
		bad = append(bad, fmt.Sprintf("%s from the %s: %s (%s)", r.SN, r.Source, r.Reason, r.Detail))
	}
	cache := fmt.Sprintf("%d in the database's cache", c.Cached)
	if !cacheRead {
		cache = "the database's cache not read"
	}
	if len(old) > 0 {
		cache += fmt.Sprintf(", %d past its dates (ignored)", len(old))
	}
	switch {
	case len(bad) > 0:
		return Result{Status: Fail, Detail: "refused " + strings.Join(bad, "; ") + "; " + cache,
			Fix: "the gateway ignores these certificates; if Alipay signs with one, download Alipay's current root (alipayRootCert.crt) into alipay.root_cert; " +
				"a certificate that does not chain to a current root is not Alipay's: look for what alters the gateway's answers or the database"}
	case c.Current == "":
		return Result{Status: Fail, Detail: fmt.Sprintf("Alipay did not say which certificate it signs with: %v", c.Err),
			Fix: "the app must have certificate mode set up in the open platform; check the gateway above"}
	case !c.CurrentTrusted:
		return Result{Status: Fail, Detail: fmt.Sprintf("Alipay signs with %s, which could not be fetched and checked: %v", c.Current, c.Err),
			Fix: "make sure alipay.open.app.alipaycert.download is reachable, then run doctor again"}
	}
	how := "the configured alipay.alipay_cert"
	if s != nil && c.Current != s.AlipayCertSN {
		how = "a renewal, fetched and checked against alipay.root_cert"
	}
	return Result{Status: OK, Detail: fmt.Sprintf("Alipay signs with %s (%s); %s", c.Current, how, cache)}
}

// readOnlyCache is the database's certificate cache, read but never written: doctor
// stores nothing.
type readOnlyCache struct{ alipay.CertCache }

// PutAlipayCert keeps nothing.
func (readOnlyCache) PutAlipayCert(context.Context, string, []byte) error { return nil }
