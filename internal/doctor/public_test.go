package doctor

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/config"
)

// TestPublicURL: a host that does not resolve, a URL that reaches something else than
// f2fpay, nothing listening, and an https certificate nobody trusts each fail with a fix.
func TestPublicURL(t *testing.T) {
	b := setup(t)
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	defer untrusted.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + closed.Addr().String()
	closed.Close()
	for _, c := range []struct {
		url, name string
		detail    []string
	}{
		{"https://f2fpay-doctor-test.invalid", "public_url", []string{"does not resolve", "DNS record"}},
		{other.URL, "/health", []string{"404", "proxy"}},
		{dead, "/health", []string{"connection refused", "start f2fpay serve"}},
		{untrusted.URL, "/health", []string{"not trusted", "full chain"}},
	} {
		rs := b.run(t, func(cfg *config.Config, o *Options) { cfg.PublicURL, o.Local = c.url, true })
		want(t, rs, c.name, Fail, c.detail...)
	}
}

// TestTLSCertificate: tls.cert_file past its dates fails, within 30 days warns, and with
// a key that is not its own fails.
func TestTLSCertificate(t *testing.T) {
	b := setup(t)
	ks, _ := keys()
	now := time.Now()
	write := func(name string, notAfter time.Time) string {
		tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pay.example.com"},
			DNSNames: []string{"pay.example.com"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: notAfter}
		der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &ks[0].PublicKey, ks[0])
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(b.dir, name)
		os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
		return p
	}
	key, wrong := filepath.Join(b.dir, "tls.key"), filepath.Join(b.dir, "wrong.key")
	os.WriteFile(key, []byte(privPEM(ks[0])), 0o600)
	os.WriteFile(wrong, []byte(privPEM(ks[1])), 0o600)
	for _, c := range []struct {
		cert, key string
		st        Status
		detail    string
	}{
		{write("expired.pem", now.Add(-time.Hour)), key, Fail, "expired on"},
		{write("soon.pem", now.Add(5*24*time.Hour+time.Hour)), key, Warn, "in 5 days"},
		{write("good.pem", now.AddDate(0, 6, 0)), key, OK, "valid until"},
		{write("good2.pem", now.AddDate(0, 6, 0)), wrong, Fail, "private key does not match"},
	} {
		rs := b.run(t, func(cfg *config.Config, o *Options) {
			cfg.TLS = config.TLSConfig{Listen: "127.0.0.1:0", CertFile: c.cert, KeyFile: c.key}
			o.Local = true
		})
		want(t, rs, "TLS certificate", c.st, c.detail)
	}
}
