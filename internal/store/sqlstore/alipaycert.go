package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

var (
	stGetAlipayCert = define("GetAlipayCert", `SELECT cert_pem FROM alipay_certs WHERE sn = ?`)
	stPutAlipayCert = define("PutAlipayCert", `INSERT INTO alipay_certs (sn, cert_pem, created_at) VALUES (?, ?, ?)
		ON CONFLICT (sn) DO UPDATE SET cert_pem = excluded.cert_pem`)
	stListAlipayCerts = define("ListAlipayCerts", `SELECT sn, cert_pem FROM alipay_certs ORDER BY sn`)
)

// The three methods below make the store the Alipay channel's certificate cache
// (alipay.CertCache, satisfied by method set: the store does not import the channel).

// GetAlipayCert returns the certificate PEM stored under sn, or nil and no error when
// there is none.
func (s *Store) GetAlipayCert(ctx context.Context, sn string) ([]byte, error) {
	var pem string
	err := s.scanOne(ctx, stGetAlipayCert, []any{&pem}, sn)
	if errors.Is(err, payment.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []byte(pem), nil
}

// PutAlipayCert stores pem under sn, replacing what was there (the channel stores only
// certificates it checked). created_at keeps the first store's time, for operators.
func (s *Store) PutAlipayCert(ctx context.Context, sn string, pem []byte) error {
	_, err := s.exec(ctx, stPutAlipayCert, sn, string(pem), time.Now())
	return err
}

// ListAlipayCerts returns every stored certificate, PEM by SN.
func (s *Store) ListAlipayCerts(ctx context.Context) (map[string][]byte, error) {
	type row struct{ sn, pem string }
	rows, err := list(ctx, &s.queries, func(sc scanner) (*row, error) {
		var r row
		return &r, sc.Scan(&r.sn, &r.pem)
	}, stListAlipayCerts)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(rows))
	for _, r := range rows {
		out[r.sn] = []byte(r.pem)
	}
	return out, nil
}
