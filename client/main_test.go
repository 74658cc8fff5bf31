package client_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
	"github.com/f2fpay/f2fpay/internal/worker"
)

// The gateway the examples talk to, started by TestMain: a real f2fpay (SQLite, the Alipay
// channel over the SDK, the payment service, the webhook dispatcher and the merchant API)
// with the Alipay simulator mounted under /sandbox on the same server.
var (
	gatewayURL    string // base URL of the merchant API
	appID         string // the examples' merchant API client
	secret        string // its API secret, which signs its requests
	webhookSecret string // its webhook secret (whsec_…), which signs the webhooks it receives
	gw            *exampleGateway
)

func TestMain(m *testing.M) {
	var code int
	g, err := startExampleGateway(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "client examples: cannot start the gateway:", err)
		code = 1
	} else {
		gw, gatewayURL, appID, secret, webhookSecret = g, g.srv.URL, g.appID, g.secrets.API, g.secrets.Webhook
		code = m.Run()
		g.close()
	}
	os.Exit(code)
}

const exampleAlipayApp = "2021000000000077"

// exampleGateway is the in-process gateway of the examples. It is built here rather than
// with internal/testenv because Example functions have no *testing.T to hand to it.
type exampleGateway struct {
	srv        *httptest.Server
	sb         *sandbox.Sandbox
	store      *sqlite.Store
	dispatcher *worker.Dispatcher
	dir        string
	appID      string
	secrets    payment.Secrets
}

// startExampleGateway wires the gateway and creates one merchant API client.
func startExampleGateway(ctx context.Context) (*exampleGateway, error) {
	g := &exampleGateway{}
	ok := false
	defer func() {
		if !ok {
			g.close()
		}
	}()
	var handler atomic.Pointer[http.Handler]
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }))
	var err error
	if g.sb, err = sandbox.New(sandbox.Config{BaseURL: g.srv.URL}); err != nil {
		return nil, err
	}
	ch, err := g.channel()
	if err != nil {
		return nil, err
	}
	if g.dir, err = os.MkdirTemp("", "f2fpay-client-examples-"); err != nil {
		return nil, err
	}
	if g.store, err = sqlite.Open(ctx, filepath.Join(g.dir, "f2fpay.db")); err != nil {
		return nil, err
	}
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		return nil, err
	}
	// The examples' webhook receivers run in this process, on loopback: opted in, as the
	// demo does (docs/security.md).
	loopback := payment.LoopbackNetworks()
	svc := payment.NewService(g.store, ch, box, nil, payment.Config{PublicURL: g.srv.URL, ConfirmWithQuery: true,
		WebhookAllowNetworks: loopback}, nil)
	notes := notifier.New(g.store)
	svc.OnChange(notes.Publish)
	g.dispatcher = worker.NewDispatcher(svc, worker.DispatcherConfig{AllowNetworks: loopback})
	g.dispatcher.Start(context.WithoutCancel(ctx))
	h := httpapi.New(httpapi.Config{Service: svc, Waiter: notes,
		Extra: func(e *gin.Engine) { e.Any("/sandbox/*path", gin.WrapH(g.sb)) }})
	handler.Store(&h)
	cl, secrets, err := svc.CreateMerchantWithSecrets(ctx, "client examples", "")
	if err != nil {
		return nil, err
	}
	g.appID, g.secrets, ok = cl.AppID, secrets, true
	return g, nil
}

// channel registers a fresh app key with the simulator and returns the Alipay channel
// that signs with it.
func (g *exampleGateway) channel() (*alipay.Channel, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := g.sb.RegisterApp(exampleAlipayApp, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))); err != nil {
		return nil, err
	}
	return alipay.New(alipay.Config{AppID: exampleAlipayApp,
		PrivateKey:      string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
		AlipayPublicKey: g.sb.AlipayPublicKeyPEM(), GatewayURL: g.srv.URL + "/sandbox/gateway.do",
		SellerID: g.sb.SellerID(exampleAlipayApp), Timeout: 30 * time.Second})
}

// close stops the dispatcher (its deliveries in flight finish), then the servers and store.
func (g *exampleGateway) close() {
	if g.dispatcher != nil {
		g.dispatcher.Stop()
	}
	if g.srv != nil {
		g.srv.Close()
	}
	if g.sb != nil {
		g.sb.Close()
	}
	if g.store != nil {
		_ = g.store.Close()
	}
	if g.dir != "" {
		_ = os.RemoveAll(g.dir)
	}
}

var orderSeq atomic.Int64

// newOrderNo returns an out_trade_no no example has used in this process, so that the
// examples also pass under -count=N against the one gateway.
func newOrderNo() string { return fmt.Sprintf("EX_%d", orderSeq.Add(1)) }

// buyerPays is the buyer scanning the order's QR and paying in the Alipay app: here the
// simulator, which then sends Alipay's signed notification to the gateway.
func buyerPays(outTradeNo string) {
	if _, err := gw.sb.Pay(exampleAlipayApp, outTradeNo, sandbox.OutcomeSuccess); err != nil {
		panic("sandbox pay: " + err.Error())
	}
}
