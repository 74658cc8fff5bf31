package main

import (
	"context"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// Both stores keep the Alipay certificates of certificate mode; were one to lose a method,
// the channel would fall back to memory unnoticed, so the build checks it.
var (
	_ alipay.CertCache = (*sqlite.Store)(nil)
	_ alipay.CertCache = (*postgres.Store)(nil)
)

// The Alipay channel is built before the store is open, so, as for its call records, its
// certificate cache (docs/decisions.md, "Alipay channel") forwards to the store once
// attached. Until then, and nothing calls Alipay before the gateway serves, certificates
// stay in memory.

func (l *callLog) certCache() alipay.CertCache {
	if cc, ok := l.store.Load().(alipay.CertCache); ok {
		return cc
	}
	return &l.certs
}

// GetAlipayCert reads the channel's certificate cache.
func (l *callLog) GetAlipayCert(ctx context.Context, sn string) ([]byte, error) {
	return l.certCache().GetAlipayCert(ctx, sn)
}

// PutAlipayCert writes the channel's certificate cache.
func (l *callLog) PutAlipayCert(ctx context.Context, sn string, pem []byte) error {
	return l.certCache().PutAlipayCert(ctx, sn, pem)
}

// ListAlipayCerts reads the whole certificate cache.
func (l *callLog) ListAlipayCerts(ctx context.Context) (map[string][]byte, error) {
	return l.certCache().ListAlipayCerts(ctx)
}

// certEvent is the channel's OnCertEvent: f2fpay_alipay_cert_events_total.
func (l *callLog) certEvent(kind string) {
	if m := l.metrics.Load(); m != nil {
		m.ObserveAlipayCertEvent(kind)
	}
}
