package sandbox

import (
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Config configures a Sandbox. The zero value is usable: keys live in memory only,
// time runs at normal speed and timestamps are checked leniently.
type Config struct {
	DataDir         string       // "" = key pair in memory only; else keys + registered apps persisted there (JSON/PEM files)
	TimeScale       float64      // >=1 (0 means 1): divides notify retry intervals and trade expiry durations
	StrictTimestamp bool         // refuse request timestamps more than 15 minutes off with 40002 isv.invalid-timestamp
	BaseURL         string       // absolute base like "http://127.0.0.1:8080" used for the QR text; if "", derive from the request (scheme + Host)
	HTTPClient      *http.Client // for notifications; nil = a client with 15 s timeout
	Logger          *slog.Logger // nil = discard
	MixedRootBundle bool         // certificate mode: the root bundle also holds a SHA-512-with-RSA root issuing the Alipay certificate with SHA-384-with-RSA (certchain.go)
	// RefundSpacing is the least time between two refunds of one trade (divided by
	// TimeScale); a closer refund is refused with 40005 isv.app-call-limited, unsigned.
	// 0 = not enforced; AlipayRefundSpacing is Alipay's documented 3 s.
	RefundSpacing time.Duration
}

// clock is the time source; tests inject a fake one.
type clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// options are test hooks that the public constructor leaves at their defaults.
type options struct {
	clock  clock
	key    *rsa.PrivateKey // pre-generated Alipay key (tests save the key generation)
	manual bool            // no background goroutines; tests call runNotifyOnce/sweep
	// sign signs gateway answers with key; nil = rsaSign. FuzzGateway sets a cheap one: an
	// RSA signature per distinct answer (2-5 ms) set the fuzzer's pace.
	sign func(key *rsa.PrivateKey, h crypto.Hash, content []byte) string
}

// Sandbox is an offline Alipay OpenAPI gateway with a buyer simulator. It is an
// http.Handler serving every route under /sandbox/. Create it with New, stop it with Close.
type Sandbox struct {
	cfg    Config
	log    *slog.Logger
	clock  clock
	client *http.Client
	mux    *http.ServeMux
	page   *template.Template
	key    *rsa.PrivateKey
	pubPEM string

	mu        sync.Mutex
	apps      map[string]*app
	recs      map[string]*record // by appID + "\x00" + outTradeNo
	byCode    map[string]*record
	byTradeNo map[string]*record
	pending   []*notification
	attempts  []NotifyAttempt
	ca        *certAuthority       // created on first use of certificate mode
	codes     map[string]*authCode // buyers' payment codes (authcode.go)
	ledger    []billEntry          // daily-bill rows (bill.go)
	billKey   []byte               // signs bill download links

	faults *faultState
	sign   func(key *rsa.PrivateKey, h crypto.Hash, content []byte) string // signs gateway answers (options.sign)

	ctx       context.Context
	stop      context.CancelFunc
	wake      chan struct{}
	slots     chan struct{} // one per notification in flight (maxInFlight)
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New builds a Sandbox: it loads or creates the simulator's RSA-2048 key pair and the
// registered apps (from cfg.DataDir when set) and starts the notifier and expiry
// goroutines. It fails only when the data directory cannot be read or written.
func New(cfg Config) (*Sandbox, error) {
	return newSandbox(cfg, options{})
}

func newSandbox(cfg Config, opt options) (*Sandbox, error) {
	if cfg.TimeScale < 1 {
		cfg.TimeScale = 1
	}
	s := &Sandbox{
		cfg:       cfg,
		log:       cfg.Logger,
		clock:     opt.clock,
		client:    cfg.HTTPClient,
		apps:      map[string]*app{},
		recs:      map[string]*record{},
		byCode:    map[string]*record{},
		byTradeNo: map[string]*record{},
		wake:      make(chan struct{}, 1),
		slots:     make(chan struct{}, maxInFlight),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.client == nil {
		// Connections are kept for the next notification, as many as may be in flight.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = maxInFlight
		s.client = &http.Client{Timeout: 15 * time.Second, Transport: t}
	}
	s.faults = newFaultState()
	s.sign = opt.sign
	if s.sign == nil {
		s.sign = rsaSign
	}
	if err := s.loadKeys(opt.key); err != nil {
		return nil, err
	}
	if err := s.loadApps(); err != nil {
		return nil, err
	}
	if err := s.loadCA(); err != nil {
		return nil, err
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.page = template.Must(template.New("scan").Parse(scanPageHTML))
	s.routes()
	if !opt.manual {
		s.wg.Add(2)
		go s.notifyLoop()
		go s.expiryLoop()
	}
	return s, nil
}

// Close stops the background goroutines (notifier, expiry) and waits for them.
// Pending notifications are abandoned. Close is safe to call more than once.
func (s *Sandbox) Close() {
	s.closeOnce.Do(func() {
		s.stop()
		s.wg.Wait()
	})
}

// ServeHTTP serves every route under /sandbox/ (see the package documentation).
// A panic in a handler is turned into a signed 20000 answer (gateway) or a 500.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("sandbox: handler panic", slog.String("path", r.URL.Path), slog.String("panic", fmt.Sprint(v)))
			writeJSONError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	s.mux.ServeHTTP(w, r)
}

func (s *Sandbox) routes() {
	m := http.NewServeMux()
	m.HandleFunc("/sandbox/gateway.do", s.handleGateway)
	m.HandleFunc(v3Prefix, s.handleV3)
	m.HandleFunc("GET /sandbox/scan/{code}", s.handleScanPage)
	m.HandleFunc("POST /sandbox/scan/{code}", s.handleScanPost)
	m.HandleFunc("GET /sandbox/api/alipay-public-key", s.handlePublicKey)
	m.HandleFunc("POST /sandbox/api/apps", s.handleApps)
	m.HandleFunc("POST /sandbox/api/certs", s.handleCerts)
	m.HandleFunc("POST /sandbox/api/alipay-cert/rotate", s.handleRotateAlipayCert)
	m.HandleFunc("POST /sandbox/api/scan", s.handleAPIScan)
	m.HandleFunc("POST /sandbox/api/pay", s.handleAPIPay)
	m.HandleFunc("POST /sandbox/api/finish", s.handleAPIFinish)
	m.HandleFunc("GET /sandbox/api/faults", s.handleGetFaults)
	m.HandleFunc("POST /sandbox/api/faults", s.handleSetFaults)
	m.HandleFunc("DELETE /sandbox/api/faults", s.handleClearFaults)
	m.HandleFunc("GET /sandbox/api/trades", s.handleTrades)
	m.HandleFunc("GET /sandbox/api/notifications", s.handleNotifications)
	s.routesV2(m)
	m.HandleFunc("/sandbox/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "no such sandbox route")
	})
	s.mux = m
}

// now is the simulator's current time.
func (s *Sandbox) now() time.Time { return s.clock.Now() }

// scaled divides a protocol duration (retry interval, trade expiry) by TimeScale.
func (s *Sandbox) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.cfg.TimeScale)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"message": msg}})
}

// errorStatus maps the sentinel errors of the buyer/control API to HTTP statuses.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrQRInvalid):
		return http.StatusGone
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrTooSoon):
		return http.StatusTooManyRequests
	default:
		return http.StatusConflict
	}
}
