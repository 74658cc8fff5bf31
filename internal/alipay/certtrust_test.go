package alipay

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// testPKI is Alipay's layout: a root bundle holding an RSA root, which issues an
// intermediate, which issues the Alipay certificates (served as leaf + intermediate).
type testPKI struct {
	root, inter *x509.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	k := testKey(t, 0)
	root := issue(t, caTpl("Test Root R1", x509.SHA256WithRSA), nil, &k.PublicKey, k)
	inter := issue(t, caTpl("Test Alipay CA", x509.SHA256WithRSA), root, &k.PublicKey, k)
	return &testPKI{root: root, inter: inter}
}

// leaf issues an Alipay certificate valid from notBefore for a day.
func (p *testPKI) leaf(t *testing.T, notBefore time.Time) *x509.Certificate {
	return issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Alipay"}, NotBefore: notBefore,
		NotAfter: notBefore.Add(24 * time.Hour)}, p.inter, &testKey(t, 1).PublicKey, testKey(t, 0))
}

// testClock is a settable clock for the trust store.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// eventCount collects OnCertEvent kinds.
type eventCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (e *eventCount) add(kind string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == nil {
		e.n = map[string]int{}
	}
	e.n[kind]++
}

func (e *eventCount) get(kind string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n[kind]
}

// unitTrust is a trust store over p's root with a fake download.
func unitTrust(p *testPKI, clk *testClock, cache CertCache, fetch func(context.Context, string) ([]byte, string, error)) (*certTrust, *eventCount) {
	roots := x509.NewCertPool()
	roots.AddCert(p.root)
	ev := &eventCount{}
	return &certTrust{roots: roots, cache: cache, log: slog.New(slog.DiscardHandler), onEvent: ev.add, now: clk.Now,
		load: func([]byte) error { return nil }, fetch: fetch, sem: make(chan struct{}, 1), certs: map[string]*trustedCert{}}, ev
}

func TestCertCheck(t *testing.T) {
	p := newTestPKI(t)
	clk := &testClock{t: time.Now()}
	tr, _ := unitTrust(p, clk, &MemoryCertCache{}, nil)
	good := p.leaf(t, clk.Now().Add(-time.Hour))
	sn := certSN(good)
	// Forgeries carrying the same SN: the same issuer DN and serial, another key.
	forger := testKey(t, 1)
	selfSigned := issue(t, &x509.Certificate{Subject: good.Issuer, SerialNumber: good.SerialNumber, IsCA: true,
		BasicConstraintsValid: true}, nil, &forger.PublicKey, forger)
	fakeRoot := issue(t, &x509.Certificate{Subject: p.root.Subject, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, &forger.PublicKey, forger)
	fakeInter := issue(t, &x509.Certificate{Subject: p.inter.Subject, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, fakeRoot, &forger.PublicKey, forger)
	otherRoot := issue(t, &x509.Certificate{Subject: good.Subject, SerialNumber: good.SerialNumber}, fakeInter, &forger.PublicKey, forger)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecLeaf := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "EC"}}, p.inter, &ec.PublicKey, testKey(t, 0))
	for _, c := range []*x509.Certificate{selfSigned, otherRoot} {
		if certSN(c) != sn {
			t.Fatal("a forgery must carry the real SN for this test to mean anything")
		}
	}
	for name, tc := range map[string]struct {
		pem    []byte
		sn     string
		reason string
	}{
		"leaf and intermediate":   {pemOf(good, p.inter), sn, ""},
		"leaf without its CA":     {pemOf(good), sn, RefusedChain},
		"another SN asked for":    {pemOf(good, p.inter), "0123456789abcdef0123456789abcdef", RefusedSN},
		"self-signed, same SN":    {pemOf(selfSigned), sn, RefusedChain},
		"forged root, same names": {pemOf(otherRoot, fakeInter, fakeRoot), sn, RefusedChain},
		"expired":                 {pemOf(p.leaf(t, clk.Now().Add(-48*time.Hour)), p.inter), "", RefusedExpired},
		"not yet valid":           {pemOf(p.leaf(t, clk.Now().Add(time.Hour)), p.inter), "", RefusedExpired},
		"ECDSA key":               {pemOf(ecLeaf, p.inter), certSN(ecLeaf), RefusedKey},
		"garbage":                 {[]byte("not a certificate"), sn, RefusedUnreadable},
	} {
		_, r := tr.check(tc.pem, tc.sn, "download")
		switch {
		case tc.reason == "" && r != nil:
			t.Errorf("%s: refused: %v", name, r)
		case tc.reason != "" && (r == nil || r.Reason != tc.reason):
			t.Errorf("%s: %v, want reason %s", name, r, tc.reason)
		}
	}
}

// TestCertDownloadPacing: a refused download pauses downloads (10 s, then doubling); the
// next good one is trusted, shared through the cache and resets the pause.
func TestCertDownloadPacing(t *testing.T) {
	p := newTestPKI(t)
	clk := &testClock{t: time.Now()}
	good := p.leaf(t, clk.Now().Add(-time.Hour))
	sn, forged := certSN(good), testKey(t, 1)
	bad := pemOf(issue(t, &x509.Certificate{Subject: good.Issuer, SerialNumber: good.SerialNumber}, nil, &forged.PublicKey, forged))
	serve, fetches := bad, 0
	cache := &MemoryCertCache{}
	tr, ev := unitTrust(p, clk, cache, func(context.Context, string) ([]byte, string, error) { fetches++; return serve, "", nil })
	ctx := context.Background()
	var refusal *CertRefusal
	if err := tr.ensure(ctx, sn); !errors.As(err, &refusal) || refusal.Reason != RefusedChain || tr.lookup(sn) != nil {
		t.Fatalf("forged certificate: %v", err)
	}
	clk.Add(9 * time.Second)
	if err := tr.ensure(ctx, sn); !errors.Is(err, errCertRateLimited) || fetches != 1 {
		t.Fatalf("within the pause: %v after %d downloads", err, fetches)
	}
	clk.Add(2 * time.Second)
	if err := tr.ensure(ctx, sn); !errors.As(err, &refusal) || fetches != 2 {
		t.Fatalf("second forgery: %v after %d downloads", err, fetches)
	}
	clk.Add(19 * time.Second) // the second failure in a row pauses 20 s
	if err := tr.ensure(ctx, sn); !errors.Is(err, errCertRateLimited) || fetches != 2 {
		t.Fatalf("within the doubled pause: %v after %d downloads", err, fetches)
	}
	clk.Add(2 * time.Second)
	serve = pemOf(good, p.inter)
	if err := tr.ensure(ctx, sn); err != nil || tr.lookup(sn) == nil || fetches != 3 {
		t.Fatalf("genuine certificate: %v after %d downloads", err, fetches)
	}
	if got, _ := cache.GetAlipayCert(ctx, sn); string(got) != string(serve) {
		t.Fatal("the trusted certificate is not in the shared cache")
	}
	if ev.get(CertEventRefused) != 2 || ev.get(CertEventRateLimited) != 2 || ev.get(CertEventDownloaded) != 1 {
		t.Fatalf("events %v", ev.n)
	}
	if tr.mayDownload() != true || tr.failures != 0 {
		t.Fatal("a success must end the pause")
	}
}

// TestCertCacheShared: an instance on the cache another one filled trusts the certificate
// without downloading; a poisoned cache entry is refused, the certificate downloaded, and
// the entry replaced.
func TestCertCacheShared(t *testing.T) {
	p := newTestPKI(t)
	clk := &testClock{t: time.Now()}
	good := p.leaf(t, clk.Now().Add(-time.Hour))
	sn, forged, ctx := certSN(good), testKey(t, 1), context.Background()
	bad := pemOf(issue(t, &x509.Certificate{Subject: good.Issuer, SerialNumber: good.SerialNumber}, nil, &forged.PublicKey, forged))
	fetches := 0
	fetch := func(context.Context, string) ([]byte, string, error) { fetches++; return pemOf(good, p.inter), "", nil }
	cache := &MemoryCertCache{}
	_ = cache.PutAlipayCert(ctx, sn, pemOf(good, p.inter))
	other, oev := unitTrust(p, clk, cache, fetch)
	if err := other.ensure(ctx, sn); err != nil || fetches != 0 || oev.get(CertEventShared) != 1 {
		t.Fatalf("shared: %v, %d downloads, events %v", err, fetches, oev.n)
	}
	poisoned := &MemoryCertCache{}
	_ = poisoned.PutAlipayCert(ctx, sn, bad)
	third, tev := unitTrust(p, clk, poisoned, fetch)
	if err := third.ensure(ctx, sn); err != nil || fetches != 1 || tev.get(CertEventRefused) != 1 || tev.get(CertEventDownloaded) != 1 {
		t.Fatalf("poisoned cache: %v, %d downloads, events %v", err, fetches, tev.n)
	}
	if got, _ := poisoned.GetAlipayCert(ctx, sn); string(got) != string(pemOf(good, p.inter)) {
		t.Fatal("the poisoned entry was not replaced by the checked certificate")
	}
}

// TestCertDownloadSingleflight: many callers asking for one unknown SN at once cause one
// download.
func TestCertDownloadSingleflight(t *testing.T) {
	p := newTestPKI(t)
	clk := &testClock{t: time.Now()}
	good := p.leaf(t, clk.Now().Add(-time.Hour))
	release := make(chan struct{})
	var mu sync.Mutex
	fetches := 0
	tr, _ := unitTrust(p, clk, &MemoryCertCache{}, func(context.Context, string) ([]byte, string, error) {
		mu.Lock()
		fetches++
		mu.Unlock()
		<-release
		return pemOf(good, p.inter), "", nil
	})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- tr.ensure(context.Background(), certSN(good)) })
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if fetches != 1 {
		t.Fatalf("%d downloads for one SN", fetches)
	}
}

// TestAnswerSignedByExpiredCert: a trusted certificate past its dates fails the call.
func TestAnswerSignedByExpiredCert(t *testing.T) {
	p := newTestPKI(t)
	clk := &testClock{t: time.Now()}
	tr, ev := unitTrust(p, clk, &MemoryCertCache{}, nil)
	leaf := p.leaf(t, clk.Now().Add(-time.Hour))
	if err := tr.install(leaf); err != nil {
		t.Fatal(err)
	}
	if err := tr.answer(context.Background(), certSN(leaf), true); err != nil || len(tr.usable()) != 1 {
		t.Fatalf("valid: %v", err)
	}
	clk.Add(24 * time.Hour)
	if err := tr.answer(context.Background(), certSN(leaf), true); !errors.Is(err, errCertExpired) || ev.get(CertEventExpired) != 1 || len(tr.usable()) != 0 {
		t.Fatalf("expired: %v", err)
	}
	if err := tr.answer(context.Background(), certSN(leaf), false); err != nil {
		t.Fatalf("an unsigned answer is left to fold: %v", err)
	}
}
