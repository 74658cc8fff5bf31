package wechat

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// DefaultRefundSettle is how long a refund stays PROCESSING before it succeeds (divided by
// TimeScale), when Config.RefundSettle is zero.
const DefaultRefundSettle = 5 * time.Second

// defaultExpiry is how long a Native order stays payable without time_expire.
const defaultExpiry = 2 * time.Hour

// Config configures a Sandbox. The zero value is usable: keys live in memory only and time
// runs at normal speed.
type Config struct {
	DataDir      string        // "" = in memory; else the platform key and merchants persist there
	TimeScale    float64       // >=1 (0 means 1): divides notification retry intervals, order expiry and refund settling
	RefundSettle time.Duration // PROCESSING → SUCCESS delay of refunds; 0 = DefaultRefundSettle
	BaseURL      string        // absolute base such as "http://127.0.0.1:8080" for the buyer page link; "" = from the request
	HTTPClient   *http.Client  // for notifications; nil = a client with a 15 s timeout
	Logger       *slog.Logger  // nil = discard
}

type clock interface{ Now() time.Time }

type realClock struct{}

// Now is the wall clock.
func (realClock) Now() time.Time { return time.Now() }

// options are test hooks the public constructor leaves at their defaults.
type options struct {
	clock  clock
	key    *rsa.PrivateKey // a pre-generated platform key (saves tests the key generation)
	manual bool            // no background goroutines; tests call runOnce
}

// Sandbox is an offline WeChat Pay APIv3 gateway for Native payments with a simulated buyer,
// notifications and fault injection. It is an http.Handler for every route under
// /sandbox/wechat/. Create it with New, stop it with Close.
type Sandbox struct {
	cfg    Config
	log    *slog.Logger
	clock  clock
	client *http.Client
	mux    *http.ServeMux
	page   *template.Template
	key    *rsa.PrivateKey
	keyID  string // PUB_KEY_ID_…
	pubPEM string

	mu         sync.Mutex
	merchants  map[string]*merchant
	trades     map[string]*Trade  // mchid \x00 out_trade_no
	byPR       map[string]*Trade  // code_url's pr
	byTxn      map[string]*Trade  // transaction_id
	refunds    map[string]*Refund // mchid \x00 out_refund_no
	processing []*Refund
	pending    []*notification
	attempts   []NotifyAttempt

	faults *faultState

	ctx       context.Context
	stop      context.CancelFunc
	wake      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New builds a Sandbox: it loads or creates the platform key pair and the registered
// merchants (from cfg.DataDir when set) and starts the background loop (notifications,
// refund settling, expiry). It fails only when the data directory cannot be read or written.
func New(cfg Config) (*Sandbox, error) { return newSandbox(cfg, options{}) }

func newSandbox(cfg Config, opt options) (*Sandbox, error) {
	if cfg.TimeScale < 1 {
		cfg.TimeScale = 1
	}
	if cfg.RefundSettle <= 0 {
		cfg.RefundSettle = DefaultRefundSettle
	}
	s := &Sandbox{cfg: cfg, log: cfg.Logger, clock: opt.clock, client: cfg.HTTPClient,
		merchants: map[string]*merchant{}, trades: map[string]*Trade{}, byPR: map[string]*Trade{},
		byTxn: map[string]*Trade{}, refunds: map[string]*Refund{}, wake: make(chan struct{}, 1), faults: newFaultState()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 15 * time.Second}
	}
	if err := s.loadKey(opt.key); err != nil {
		return nil, err
	}
	if err := s.loadMerchants(); err != nil {
		return nil, err
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.page = template.Must(template.New("scan").Parse(scanPageHTML))
	s.routes()
	if !opt.manual {
		s.wg.Add(1)
		go s.loop()
	}
	return s, nil
}

// Close stops the background loop and waits for deliveries in flight; pending
// notifications are abandoned. It is safe to call more than once.
func (s *Sandbox) Close() {
	s.closeOnce.Do(func() {
		s.stop()
		s.wg.Wait()
	})
}

// ServeHTTP serves every route under /sandbox/wechat/ (see the package documentation). A
// panic in a handler becomes a 500.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("wechat sandbox: handler panic", slog.String("path", r.URL.Path), slog.String("panic", fmt.Sprint(v)))
			writeJSONError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	s.mux.ServeHTTP(w, r)
}

func (s *Sandbox) routes() {
	m := http.NewServeMux()
	const v3 = "/sandbox/wechat/v3"
	m.HandleFunc("POST "+v3+"/pay/transactions/native", s.v3(opNative, s.native))
	m.HandleFunc("GET "+v3+"/pay/transactions/out-trade-no/{no}", s.v3(opQuery, s.query))
	m.HandleFunc("POST "+v3+"/pay/transactions/out-trade-no/{no}/close", s.v3(opClose, s.closeOrder))
	m.HandleFunc("POST "+v3+"/refund/domestic/refunds", s.v3(opRefund, s.refund))
	m.HandleFunc("GET "+v3+"/refund/domestic/refunds/{no}", s.v3(opRefundQuery, s.refundQuery))
	m.HandleFunc(v3+"/", func(w http.ResponseWriter, r *http.Request) {
		writeWeChatError(w, http.StatusNotFound, "NOT_FOUND", "沙箱不提供该接口: "+r.Method+" "+r.URL.Path)
	})
	m.HandleFunc("GET /sandbox/wechat/scan/{pr}", s.handleScanPage)
	m.HandleFunc("POST /sandbox/wechat/scan/{pr}", s.handleScanPost)
	m.HandleFunc("GET /sandbox/wechat/api/platform-public-key", s.handlePublicKey)
	m.HandleFunc("POST /sandbox/wechat/api/merchants", s.handleMerchants)
	m.HandleFunc("POST /sandbox/wechat/api/pay", s.handleAPIPay)
	m.HandleFunc("POST /sandbox/wechat/api/refund", s.handleAPIRefund)
	m.HandleFunc("GET /sandbox/wechat/api/faults", s.handleGetFaults)
	m.HandleFunc("POST /sandbox/wechat/api/faults", s.handleSetFaults)
	m.HandleFunc("DELETE /sandbox/wechat/api/faults", s.handleClearFaults)
	m.HandleFunc("GET /sandbox/wechat/api/trades", s.handleTrades)
	m.HandleFunc("GET /sandbox/wechat/api/notifications", s.handleNotifications)
	m.HandleFunc("/sandbox/wechat/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "no such sandbox route")
	})
	s.mux = m
}

func (s *Sandbox) now() time.Time { return s.clock.Now() }

// scaled divides a protocol duration (retry interval, expiry, refund settling) by TimeScale.
func (s *Sandbox) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.cfg.TimeScale)
}

// PlatformPublicKeyPEM is the simulator's WeChat Pay public key, PEM.
func (s *Sandbox) PlatformPublicKeyPEM() string { return s.pubPEM }

// PlatformPublicKeyID is the id Wechatpay-Serial carries on the simulator's signatures.
func (s *Sandbox) PlatformPublicKeyID() string { return s.keyID }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeJSONError answers the control API: {"error":{"message":…}}, as the Alipay simulator.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"message": msg}})
}

// writeWeChatError answers an APIv3 route without a signature ({"code","message"}), as
// WeChat Pay does when it cannot authenticate the request.
func writeWeChatError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}
