package storetest

import (
	"context"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// alipayCertCache is the Alipay channel's certificate cache (alipay.CertCache), spelled
// out here so that the suite does not import the channel.
type alipayCertCache interface {
	GetAlipayCert(ctx context.Context, sn string) ([]byte, error)
	PutAlipayCert(ctx context.Context, sn string, pem []byte) error
	ListAlipayCerts(ctx context.Context) (map[string][]byte, error)
}

func testAlipayCerts(t *testing.T, s payment.Store) {
	ctx := context.Background()
	c, ok := s.(alipayCertCache)
	if !ok {
		t.Fatalf("%T does not keep Alipay certificates (GetAlipayCert, PutAlipayCert, ListAlipayCerts)", s)
	}
	got, err := c.GetAlipayCert(ctx, "sn-none")
	must(t, "GetAlipayCert of an unknown SN", err)
	if got != nil {
		t.Fatalf("unknown SN: %q, want nil", got)
	}
	all, err := c.ListAlipayCerts(ctx)
	must(t, "ListAlipayCerts empty", err)
	equal(t, "empty list", all, map[string][]byte{})

	pemA := []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	pemB := []byte("-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n")
	must(t, "PutAlipayCert a", c.PutAlipayCert(ctx, "0123456789abcdef0123456789abcdef", pemA))
	must(t, "PutAlipayCert b", c.PutAlipayCert(ctx, "fedcba9876543210fedcba9876543210", pemB))
	got, err = c.GetAlipayCert(ctx, "0123456789abcdef0123456789abcdef")
	must(t, "GetAlipayCert a", err)
	equal(t, "certificate a", got, pemA)

	// Storing an SN again replaces its PEM (the channel stores only checked certificates,
	// so a bad row gets healed).
	must(t, "PutAlipayCert a again", c.PutAlipayCert(ctx, "0123456789abcdef0123456789abcdef", pemB))
	all, err = c.ListAlipayCerts(ctx)
	must(t, "ListAlipayCerts", err)
	equal(t, "list", all, map[string][]byte{
		"0123456789abcdef0123456789abcdef": pemB,
		"fedcba9876543210fedcba9876543210": pemB,
	})
}
