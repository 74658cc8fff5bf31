package alipay

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// CertCache keeps the Alipay public-key certificates the channel downloaded, by SN, where
// every instance of the gateway sees them: the database (docs/decisions.md, "Alipay
// channel"). Its methods use only standard types so a store satisfies it without
// importing this package. It is not a trust anchor: the channel checks every certificate
// it reads back against the configured root before using it.
type CertCache interface {
	// GetAlipayCert returns the PEM stored under sn, or nil and no error when there is none.
	GetAlipayCert(ctx context.Context, sn string) ([]byte, error)
	// PutAlipayCert stores pem under sn, replacing what was there: the channel stores only
	// certificates that passed its checks, so this also heals an entry that did not.
	PutAlipayCert(ctx context.Context, sn string, pem []byte) error
	// ListAlipayCerts returns every stored certificate, PEM by SN.
	ListAlipayCerts(ctx context.Context) (map[string][]byte, error)
}

// MemoryCertCache is a CertCache in process memory, for one instance without a shared
// database and for tests. The zero value is ready; it is safe for concurrent use.
type MemoryCertCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ CertCache = (*MemoryCertCache)(nil)

// GetAlipayCert returns a copy of the PEM stored under sn, nil when none. It never fails.
func (m *MemoryCertCache) GetAlipayCert(_ context.Context, sn string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.m[sn]), nil
}

// PutAlipayCert stores a copy of pem under sn, replacing what was there. It never fails.
func (m *MemoryCertCache) PutAlipayCert(_ context.Context, sn string, pem []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[string][]byte)
	}
	m.m[sn] = slices.Clone(pem)
	return nil
}

// ListAlipayCerts returns a copy of every stored PEM by SN. It never fails.
func (m *MemoryCertCache) ListAlipayCerts(context.Context) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := maps.Clone(m.m)
	for sn, pem := range out {
		out[sn] = slices.Clone(pem)
	}
	if out == nil {
		out = map[string][]byte{}
	}
	return out, nil
}
