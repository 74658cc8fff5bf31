package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
)

// expiryWarning is how far ahead an expiring certificate is warned about.
const expiryWarning = 30 * 24 * time.Hour

// errNotCertMode: certSet in public-key mode.
var errNotCertMode = errors.New("not certificate mode")

// certSet parses certificate mode's certificates once, as the channel does.
func (d *doctor) certSet() (*alipay.CertSet, error) {
	a := d.cfg.Alipay
	if !a.CertMode() {
		return nil, errNotCertMode
	}
	if d.certs != nil {
		return d.certs, nil
	}
	s, err := alipay.InspectCerts([]byte(a.AppCert), []byte(a.AlipayCert), []byte(a.RootCert), d.now())
	if err != nil {
		return nil, err
	}
	d.certs = s
	return s, nil
}

// checkCerts shows certificate mode's SNs and checks the dates of the app certificate, the
// Alipay certificate and the RSA-family roots (the ones the root SN counts).
func (d *doctor) checkCerts(context.Context) {
	if !d.cfg.Alipay.CertMode() {
		return
	}
	s, err := d.certSet()
	if err != nil {
		d.add(Result{Name: "certificates", Status: Fail, Detail: err.Error(),
			Fix: "give the three certificates as downloaded from Alipay's open platform (appCertPublicKey_*.crt, alipayCertPublicKey_RSA2.crt, alipayRootCert.crt) in alipay.app_cert, alipay.alipay_cert and alipay.root_cert"})
		return
	}
	d.add(Result{Name: "certificate SNs", Status: OK,
		Detail: fmt.Sprintf("app_cert_sn=%s alipay_cert_sn=%s alipay_root_cert_sn=%s", s.AppCertSN, s.AlipayCertSN, s.RootCertSN)})
	d.add(expiry("app certificate", s.App, d.now(),
		"renew the app public-key certificate in Alipay's open platform and configure the new one in alipay.app_cert"))
	ali := expiry("Alipay certificate", s.Alipay, d.now(),
		"download Alipay's current public-key certificate (alipayCertPublicKey_RSA2.crt) from the open platform into alipay.alipay_cert")
	if r := s.AlipayRefusal; ali.Status == OK && r != nil && r.Reason != alipay.RefusedExpired {
		ali = Result{Status: Warn, Detail: fmt.Sprintf("%s; it fails the checks against alipay.root_cert (%s: %s), so renewals failing them too will be refused", ali.Detail, r.Reason, r.Detail),
			Fix: "configure the root certificate bundle downloaded with this certificate (alipayRootCert.crt)"}
	}
	ali.Name = "Alipay certificate"
	d.add(ali)
	for i, root := range s.Roots {
		if !s.RSARoots[i] {
			continue // not in the root SN, and not what Alipay's RSA certificates chain to
		}
		d.add(expiry(fmt.Sprintf("root certificate %d", i+1), root, d.now(),
			"download Alipay's current root certificate (alipayRootCert.crt) from the open platform into alipay.root_cert"))
	}
}

// expiry judges a certificate's dates at now: failed outside them, a warning within
// expiryWarning of the end.
func expiry(name string, c *x509.Certificate, now time.Time, fix string) Result {
	who := c.Subject.CommonName
	if who == "" {
		who = c.Subject.String()
	}
	left := c.NotAfter.Sub(now)
	switch {
	case now.After(c.NotAfter):
		return Result{Name: name, Status: Fail, Detail: fmt.Sprintf("%q expired on %s", who, day(c.NotAfter)), Fix: fix}
	case now.Before(c.NotBefore):
		return Result{Name: name, Status: Fail, Detail: fmt.Sprintf("%q is valid only from %s (is the clock right?)", who, day(c.NotBefore)), Fix: fix}
	case left < expiryWarning:
		return Result{Name: name, Status: Warn, Detail: fmt.Sprintf("%q expires on %s, in %d days", who, day(c.NotAfter), int(left.Hours()/24)), Fix: fix}
	}
	return Result{Name: name, Status: OK, Detail: fmt.Sprintf("%q valid until %s", who, day(c.NotAfter))}
}
