package breaker_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/breaker"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// BenchmarkOpenBreakerFailFast measures what a create costs while the breaker is open:
// Service.Create on SQLite (synchronous=FULL) over the open breaker over the real channel,
// and the breaker's refusal alone. docs/BENCHMARKS.md quotes it:
//
//	go test -run '^$' -bench BenchmarkOpenBreakerFailFast ./internal/breaker/
func BenchmarkOpenBreakerFailFast(b *testing.B) {
	svc, br, sb, appID, clientID := benchStack(b)
	ctx := context.Background()
	b.Run("Service.Create", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			_, _, err := svc.Create(ctx, clientID, payment.CreateRequest{OutTradeNo: fmt.Sprintf("bench_%d_%d", b.N, i),
				TotalAmount: 100, Subject: "bench"})
			if payment.ErrorCode(err) != payment.CodeUpstreamUnavailable {
				b.Fatalf("create while open: %v", err)
			}
		}
	})
	b.Run("Channel.Precreate", func(b *testing.B) {
		req := payment.PrecreateRequest{OutTradeNo: "bench", TotalAmount: 100, Subject: "bench"}
		for b.Loop() {
			if _, err := br.Precreate(ctx, req); payment.ErrorCode(err) != payment.CodeUpstreamUnavailable {
				b.Fatalf("precreate while open: %v", err)
			}
		}
	})
	if tr, ok := sb.Trade(appID, "bench"); ok || br.State() != breaker.Open {
		b.Fatalf("a refused precreate reached the sandbox (%+v) or the breaker closed (%s)", tr, br.State())
	}
}

// benchStack wires what internal/testenv wires (which wants a *testing.T) and opens the
// breaker with one precreate answered ACQ.SYSTEM_ERROR/20000, which the sandbox does not
// carry out.
func benchStack(b *testing.B) (*payment.Service, *breaker.Channel, *sandbox.Sandbox, string, string) {
	b.Helper()
	ctx := context.Background()
	var sbh atomic.Pointer[sandbox.Sandbox]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(w, r) }))
	b.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Config{BaseURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	sbh.Store(sb)
	b.Cleanup(sb.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pk8, _ := x509.MarshalPKCS8PrivateKey(key)
	const appID = "2021000000000099"
	if err := sb.RegisterApp(appID, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))); err != nil {
		b.Fatal(err)
	}
	ch, err := alipay.New(alipay.Config{AppID: appID, PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8})),
		AlipayPublicKey: sb.AlipayPublicKeyPEM(), GatewayURL: srv.URL + "/sandbox/gateway.do", Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "f2fpay.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		b.Fatal(err)
	}
	br, err := breaker.New(ch, breaker.Config{Failures: 1, OpenFor: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	svc := payment.NewService(st, br, box, nil, payment.Config{PublicURL: srv.URL}, nil)
	c, _, err := svc.CreateMerchant(ctx, "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	sb.SetFaults(sandbox.Faults{Seed: 1, GatewaySystemError: 1, Methods: []string{methodPrecreate}})
	if _, _, err := svc.Create(ctx, c.AppID, payment.CreateRequest{OutTradeNo: "trip", TotalAmount: 100, Subject: "trip"}); payment.ErrorCode(err) != payment.CodeUpstreamUnavailable || br.State() != breaker.Open {
		b.Fatalf("tripping the breaker: %v, state %s", err, br.State())
	}
	return svc, br, sb, appID, c.AppID
}
