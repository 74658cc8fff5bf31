package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/metrics"
)

// TestCallLogCertCache: the channel's certificate cache is memory until the store is
// attached, then the database; its events reach the metrics.
func TestCallLogCertCache(t *testing.T) {
	ctx := context.Background()
	calls := &callLog{}
	if err := calls.PutAlipayCert(ctx, "sn-early", []byte("early")); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "f2fpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	calls.attach(st)
	if err := calls.PutAlipayCert(ctx, "sn-1", []byte("pem-1")); err != nil {
		t.Fatal(err)
	}
	all, err := calls.ListAlipayCerts(ctx)
	if err != nil || len(all) != 1 || string(all["sn-1"]) != "pem-1" {
		t.Fatalf("after attach: %q, %v", all, err)
	}
	if got, err := st.(interface {
		GetAlipayCert(context.Context, string) ([]byte, error)
	}).GetAlipayCert(ctx, "sn-1"); err != nil || string(got) != "pem-1" {
		t.Fatalf("the database holds %q, %v", got, err)
	}
	m := metrics.New(nil, nil)
	calls.metrics.Store(m)
	calls.certEvent("refused")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `f2fpay_alipay_cert_events_total{kind="refused"} 1`) {
		t.Fatal("the certificate event is not counted")
	}
}
