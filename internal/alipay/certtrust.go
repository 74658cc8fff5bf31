package alipay

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Certificate events, as Config.OnCertEvent receives them. The set is fixed, so it can be
// a metric label.
const (
	CertEventDownloaded     = "downloaded"      // a downloaded certificate passed every check and is trusted
	CertEventShared         = "shared"          // a certificate from the CertCache passed every check and is trusted
	CertEventRefused        = "refused"         // a certificate failed the chain, SN or key check
	CertEventExpired        = "expired"         // a certificate, or an answer's signer, is outside its validity dates
	CertEventDownloadFailed = "download_failed" // alipay.open.app.alipaycert.download gave no certificate
	CertEventRateLimited    = "rate_limited"    // a download was skipped: the last failure is too recent
)

// Why a certificate was refused (CertRefusal.Reason).
const (
	RefusedChain      = "chain"       // it does not chain to the configured root bundle
	RefusedSN         = "sn_mismatch" // its SN is not the one asked for
	RefusedKey        = "not_rsa"     // its key is not RSA
	RefusedUnreadable = "unreadable"  // no certificate could be read
	RefusedExpired    = "expired"     // the time now is outside its validity dates
)

// Download pacing: after a failed download or check, no download for certRetryMin,
// doubling per failure in a row up to certRetryMax. A notification that no trusted
// certificate verifies looks for a new one at most once per certRefreshEvery.
const (
	certRetryMin     = 10 * time.Second
	certRetryMax     = 10 * time.Minute
	certRefreshEvery = 30 * time.Second
)

// CertRefusal describes an Alipay certificate the channel refused to trust.
type CertRefusal struct {
	SN     string    // the SN it was asked for
	Source string    // "download" or "cache"
	Reason string    // one of the Refused* constants
	Detail string    // what the check said
	At     time.Time // when
}

// Error says which certificate was refused and why.
func (r *CertRefusal) Error() string {
	return fmt.Sprintf("Alipay certificate %s (%s) refused: %s: %s", r.SN, r.Source, r.Reason, r.Detail)
}

// trustedCert is an Alipay certificate that passed the checks and is loaded in the SDK.
type trustedCert struct {
	sn   string
	cert *x509.Certificate
}

// certTrust is the certificate-mode trust store: the configured Alipay certificate plus
// every one downloaded or read from the cache and found to chain to the configured root.
type certTrust struct {
	roots   *x509.CertPool
	cache   CertCache
	log     *slog.Logger
	onEvent func(kind string)
	now     func() time.Time
	load    func(leafPEM []byte) error                                                   // into the SDK client
	fetch   func(ctx context.Context, sn string) (pem []byte, current string, err error) // the download call (certfetch.go)

	sem chan struct{} // one download or refresh at a time: concurrent askers wait, then find it trusted

	mu        sync.Mutex
	certs     map[string]*trustedCert
	gen       int       // bumped by every install
	failures  int       // failed downloads in a row
	retryAt   time.Time // no download before this
	refreshAt time.Time // no notification-triggered refresh before this
	refusal   *CertRefusal
}

// check verifies a certificate (a PEM leaf, then any intermediates) before it is trusted:
// it chains to the configured root bundle, is valid now, has an RSA key and its SN is sn.
func (t *certTrust) check(pemBytes []byte, sn, source string) (*x509.Certificate, *CertRefusal) {
	refuse := func(reason, format string, args ...any) *CertRefusal {
		return &CertRefusal{SN: sn, Source: source, Reason: reason, Detail: fmt.Sprintf(format, args...), At: t.now()}
	}
	chain, err := certs(pemBytes)
	if err != nil {
		return nil, refuse(RefusedUnreadable, "%v", err)
	}
	leaf, now := chain[0], t.now()
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, refuse(RefusedExpired, "valid from %s to %s", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: t.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, refuse(RefusedChain, "%v", err)
	}
	if got := certSN(leaf); got != sn {
		return nil, refuse(RefusedSN, "its SN is %s", got)
	}
	if _, ok := leaf.PublicKey.(*rsa.PublicKey); !ok {
		return nil, refuse(RefusedKey, "its key is %T", leaf.PublicKey)
	}
	return leaf, nil
}

// admit checks a certificate and, if it passes, trusts it; a refusal is reported loudly.
func (t *certTrust) admit(pemBytes []byte, sn, source string) error {
	leaf, r := t.check(pemBytes, sn, source)
	if r != nil {
		t.refuse(r)
		return r
	}
	return t.install(leaf)
}

// install loads a checked certificate into the SDK and the trust store.
func (t *certTrust) install(leaf *x509.Certificate) error {
	if err := t.load(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})); err != nil {
		return fmt.Errorf("load Alipay certificate %s: %w", certSN(leaf), err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	sn := certSN(leaf)
	t.certs[sn] = &trustedCert{sn: sn, cert: leaf}
	t.gen++
	return nil
}

// generation changes whenever a certificate is added to the trust store.
func (t *certTrust) generation() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

// refuse records a refusal for LastCertRefusal, logs it and counts it. A certificate that
// fails the chain, SN or key check may be an attack and is logged at error level; one
// outside its dates is a warning.
func (t *certTrust) refuse(r *CertRefusal) {
	t.mu.Lock()
	t.refusal = r
	t.mu.Unlock()
	attrs := []any{slog.String("alipay_cert_sn", r.SN), slog.String("source", r.Source),
		slog.String("reason", r.Reason), slog.String("detail", r.Detail)}
	if r.Reason == RefusedExpired {
		t.log.Warn("alipay certificate refused: outside its validity dates", attrs...)
		t.event(CertEventExpired)
		return
	}
	t.log.Error("alipay certificate refused: it does not pass the checks against the configured root", attrs...)
	t.event(CertEventRefused)
}

func (t *certTrust) event(kind string) {
	if t.onEvent != nil {
		t.onEvent(kind)
	}
}

// lookup returns the trusted certificate with this SN, or nil.
func (t *certTrust) lookup(sn string) *trustedCert {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.certs[sn]
}

// valid reports whether a trusted certificate is inside its validity dates now.
func (t *certTrust) valid(tc *trustedCert) bool {
	now := t.now()
	return !now.Before(tc.cert.NotBefore) && !now.After(tc.cert.NotAfter)
}

// usable returns the trusted certificates valid now, newest first: a notification names
// no certificate, and the newest is the likeliest signer.
func (t *certTrust) usable() []*trustedCert {
	t.mu.Lock()
	all := make([]*trustedCert, 0, len(t.certs))
	for _, tc := range t.certs {
		all = append(all, tc)
	}
	t.mu.Unlock()
	all = slices.DeleteFunc(all, func(tc *trustedCert) bool { return !t.valid(tc) })
	slices.SortFunc(all, func(a, b *trustedCert) int { return b.cert.NotBefore.Compare(a.cert.NotBefore) })
	return all
}

// acquire takes the download slot, or gives up with ctx.
func (t *certTrust) acquire(ctx context.Context) error {
	select {
	case t.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *certTrust) release() { <-t.sem }

// LastCertRefusal returns the last Alipay certificate the channel refused to trust and
// why (for doctor), or nil when none was refused or the channel is in public-key mode.
func (c *Channel) LastCertRefusal() *CertRefusal {
	if c.trust == nil {
		return nil
	}
	c.trust.mu.Lock()
	defer c.trust.mu.Unlock()
	if c.trust.refusal == nil {
		return nil
	}
	r := *c.trust.refusal
	return &r
}
