package alipay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

var (
	// errCertRateLimited: a download was skipped because the last failure is too recent.
	errCertRateLimited = errors.New("alipay certificate downloads paused after a failure")
	// errCertExpired: an answer is signed by a trusted certificate outside its dates.
	errCertExpired = errors.New("the answer is signed by an Alipay certificate outside its validity dates")
)

// ensure makes the certificate sn trusted if it can: from the shared cache, else
// downloaded. Concurrent askers wait for one download and then find it trusted.
func (t *certTrust) ensure(ctx context.Context, sn string) error {
	if t.lookup(sn) != nil {
		return nil
	}
	if err := t.acquire(ctx); err != nil {
		return err
	}
	defer t.release()
	return t.ensureHeld(ctx, sn)
}

// ensureHeld is ensure for a caller holding the download slot.
func (t *certTrust) ensureHeld(ctx context.Context, sn string) error {
	if t.lookup(sn) != nil {
		return nil
	}
	if t.fromCache(ctx, sn) {
		return nil
	}
	return t.download(ctx, sn)
}

// fromCache trusts the certificate another instance stored under sn, if it passes.
func (t *certTrust) fromCache(ctx context.Context, sn string) bool {
	pemBytes, err := t.cache.GetAlipayCert(ctx, sn)
	if err != nil {
		t.log.Warn("alipay certificate cache read failed", slog.String("alipay_cert_sn", sn), slog.String("error", err.Error()))
		return false
	}
	return pemBytes != nil && t.admitShared(sn, pemBytes)
}

func (t *certTrust) admitShared(sn string, pemBytes []byte) bool {
	if t.admit(pemBytes, sn, "cache") != nil {
		return false
	}
	t.log.Info("alipay certificate trusted from the shared cache", slog.String("alipay_cert_sn", sn))
	t.event(CertEventShared)
	return true
}

// download fetches sn from Alipay, checks it, trusts it and shares it through the cache.
// After a failure further downloads wait (certRetryMin, doubling): an SN nobody can serve
// or a forged certificate must not make the channel download in a loop.
func (t *certTrust) download(ctx context.Context, sn string) error {
	if !t.mayDownload() {
		t.log.Warn("alipay certificate download skipped: paused after a failure", slog.String("alipay_cert_sn", sn))
		t.event(CertEventRateLimited)
		return errCertRateLimited
	}
	pemBytes, _, err := t.fetch(ctx, sn)
	if err != nil {
		if ctx.Err() == nil {
			t.failed()
		}
		t.log.Warn("alipay certificate download failed", slog.String("alipay_cert_sn", sn), slog.String("error", err.Error()))
		t.event(CertEventDownloadFailed)
		return err
	}
	if err := t.admit(pemBytes, sn, "download"); err != nil {
		t.failed()
		return err
	}
	t.succeeded()
	if err := t.cache.PutAlipayCert(ctx, sn, pemBytes); err != nil {
		t.log.Warn("alipay certificate cache write failed", slog.String("alipay_cert_sn", sn), slog.String("error", err.Error()))
	}
	t.log.Info("alipay certificate downloaded, checked against the root and trusted", slog.String("alipay_cert_sn", sn))
	t.event(CertEventDownloaded)
	return nil
}

func (t *certTrust) mayDownload() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.now().Before(t.retryAt)
}

func (t *certTrust) failed() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failures++
	d := certRetryMin << min(t.failures-1, 16)
	t.retryAt = t.now().Add(min(d, certRetryMax))
}

func (t *certTrust) succeeded() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failures, t.retryAt = 0, time.Time{}
}

// answer is shown the alipay_cert_sn of every certificate-mode answer before the SDK
// verifies it. An unknown signer is fetched and checked first; if that fails the SDK
// finds no key for it and the call's outcome is unknown. A signer known but outside its
// dates fails the call the same way.
func (t *certTrust) answer(ctx context.Context, sn string, signed bool) error {
	if !signed {
		return nil // an unsigned answer is not verified; fold reads it
	}
	if tc := t.lookup(sn); tc != nil {
		if !t.valid(tc) {
			t.log.Error("alipay answer signed by a certificate outside its validity dates", slog.String("alipay_cert_sn", sn))
			t.event(CertEventExpired)
			return fmt.Errorf("%w (%s)", errCertExpired, sn)
		}
		return nil
	}
	_ = t.ensure(ctx, sn) // logged and counted inside
	return nil
}

// refresh looks for a certificate the trust store lacks, for a notification that no
// trusted certificate verifies. Notifications name no certificate, so it asks the shared
// cache (another instance may have downloaded it), then Alipay: the answer to a download of
// the newest trusted certificate names Alipay's current one in alipay_cert_sn, and that
// one is downloaded if unknown. Anyone can post a notification, so this runs at most once
// per certRefreshEvery; in between it only waits for a download or refresh in flight, so
// that notifications arriving together all see its result. The caller compares
// generation() before and after.
func (t *certTrust) refresh(ctx context.Context) {
	t.mu.Lock()
	paused := t.now().Before(t.refreshAt)
	if !paused {
		t.refreshAt = t.now().Add(certRefreshEvery)
	}
	t.mu.Unlock()
	if t.acquire(ctx) != nil {
		return
	}
	defer t.release()
	if paused {
		return
	}
	t.fromCacheAll(ctx)
	if current := t.current(ctx); current != "" {
		_ = t.ensureHeld(ctx, current)
	}
}

// fromCacheAll trusts every certificate in the shared cache the trust store lacks and
// that passes the checks.
func (t *certTrust) fromCacheAll(ctx context.Context) {
	all, err := t.cache.ListAlipayCerts(ctx)
	if err != nil {
		t.log.Warn("alipay certificate cache read failed", slog.String("error", err.Error()))
		return
	}
	for sn, pemBytes := range all {
		if t.lookup(sn) == nil {
			t.admitShared(sn, pemBytes)
		}
	}
}

// current asks Alipay which certificate it signs with now: the alipay_cert_sn of the
// answer to a download of the newest trusted certificate. "" when the download fails.
func (t *certTrust) current(ctx context.Context) string {
	current, err := t.fetchCurrent(ctx)
	if current == "" && err != nil {
		t.log.Warn("alipay current certificate: no answer to the download", slog.String("error", err.Error()))
	}
	return current
}

// fetchCurrent is current with the download's error.
func (t *certTrust) fetchCurrent(ctx context.Context) (string, error) {
	t.mu.Lock()
	var newest *trustedCert
	for _, tc := range t.certs {
		if newest == nil || tc.cert.NotBefore.After(newest.cert.NotBefore) {
			newest = tc
		}
	}
	t.mu.Unlock()
	_, current, err := t.fetch(ctx, newest.sn)
	return current, err
}
