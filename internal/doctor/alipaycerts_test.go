package doctor

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// TestAlipayCertRenewed: after the sandbox renews its Alipay certificate, doctor learns
// the new SN from the gateway, fetches the certificate and checks it against the root, as
// the running gateway would, and stores nothing.
func TestAlipayCertRenewed(t *testing.T) {
	b := setup(t)
	_, c := b.certMode(t)
	rot, err := b.sb.RotateAlipayCert()
	if err != nil {
		t.Fatal(err)
	}
	rs := b.run(t, func(cfg *config.Config, _ *Options) { *cfg = c })
	want(t, rs, "gateway", OK, "ACQ.TRADE_NOT_EXIST")
	want(t, rs, "Alipay certificates", OK, "Alipay signs with "+rot.AlipayCertSN, "a renewal, fetched and checked", "0 in the database's cache")
	st := openStore(t, b)
	if all, err := st.ListAlipayCerts(t.Context()); err != nil || len(all) != 0 {
		t.Fatalf("doctor stored certificates: %d, %v", len(all), err)
	}
}

// TestAlipayCertRefused: a certificate in the database's cache that does not chain to the
// root is refused and reported with a fix; one past its dates is only counted.
func TestAlipayCertRefused(t *testing.T) {
	b := setup(t)
	_, c := b.certMode(t)
	st := openStore(t, b)
	now := time.Now()
	old := b.appCertValid(t, now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)) // chains, but expired
	if err := st.PutAlipayCert(t.Context(), "old-sn", []byte(old)); err != nil {
		t.Fatal(err)
	}
	rs := b.run(t, func(cfg *config.Config, _ *Options) { *cfg = c })
	want(t, rs, "Alipay certificates", OK, "1 in the database's cache, 1 past its dates (ignored)")
	if err := st.PutAlipayCert(t.Context(), "forged-sn", []byte(selfSigned(t))); err != nil {
		t.Fatal(err)
	}
	rs = b.run(t, func(cfg *config.Config, _ *Options) { *cfg = c })
	want(t, rs, "Alipay certificates", Fail, "refused forged-sn from the cache: chain", "is not Alipay's")
}

// openStore opens the bundle's database beside the running gateway.
func openStore(t *testing.T, b *bundle) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.dir, "f2fpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// selfSigned is a certificate over the wrong key that chains to nothing.
func selfSigned(t *testing.T) string {
	t.Helper()
	ks, _ := keys()
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "not Alipay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &ks[1].PublicKey, ks[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
