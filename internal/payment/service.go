package payment

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"
)

// Late-payment policies: what to do with money that arrives for an order closed locally.
const (
	LatePaymentRecord = "record" // record it as paid with late=true (default)
	LatePaymentRefund = "refund" // record it, then refund it in full
)

// Config holds the Service's settings.
type Config struct {
	PublicURL        string        // base URL of this gateway, e.g. https://pay.example.com
	NotifyPath       string        // path of the Alipay notify endpoint; default /notify/alipay
	ConfirmWithQuery bool          // confirm notifications with alipay.trade.query
	DefaultTimeout   time.Duration // order expiry when the request gives none; default 15 min
	LatePayment      string        // LatePaymentRecord or LatePaymentRefund
	// CheckSchedule is the reconciler's back-off for pending orders, counted from the QR;
	// default 30 s, 1 m, 2 m, 5 m (then at expiry). Scaled down in tests.
	CheckSchedule []time.Duration
	// RefundQueryDelay is how long after a refund attempt with an unknown outcome Alipay's
	// refund query must wait before its "no such refund" is believed; default 10 s, as
	// Alipay's documentation asks. Shortened in tests.
	RefundQueryDelay time.Duration
	// WebhookAllowNetworks opts networks in as webhook targets (webhooks.allow_networks),
	// which are otherwise refused when notify_url names a non-public IP literal
	// (docs/security.md). The demo allows loopback.
	WebhookAllowNetworks []netip.Prefix
	// MerchantCacheTTL is how long a merchant and its opened API secrets are kept in
	// memory for authentication; default DefaultMerchantCacheTTL, negative turns the cache
	// off. It bounds how long a change made elsewhere (another instance, the CLI) goes
	// unseen here.
	MerchantCacheTTL time.Duration
	// ChargePoll is how often a barcode charge waiting for the buyer is queried; default
	// 3 s (docs/decisions.md, "Barcode payment: the settle rules").
	ChargePoll time.Duration
}

// SecretBox seals client secrets at rest.
type SecretBox interface {
	Seal(plain []byte) (string, error)
	Open(sealed string) ([]byte, error)
}

// Service is the payment core: every use case of the merchant API, the notify endpoint and
// the background workers goes through it.
type Service struct {
	store    Store
	channel  Channel            // the Alipay channel (ChannelAlipay)
	channels map[string]Channel // further channels by name (AddChannel); channelFor picks an order's
	clock    Clock
	box      SecretBox
	cfg      Config
	log      *slog.Logger
	changed  func(*Order)           // called after a committed state change (live status)
	onEvent  atomic.Pointer[func()] // called after a committed transaction that wrote an event (OnEvent)
	noticed  func(string)           // called with every notification's outcome (OnNotification)
	nonces   NonceStore             // request nonces; the store unless SetNonceStore replaced it
	bills    BillSource             // Alipay's daily bill (SetBillSource); nil until set

	notifyFail NotifyFailBudget // unverified notifications per source; nil = no budget
	merchants  *merchantCache   // authentication's merchants and secrets (merchantcache.go)
}

// NewService wires the core. logger may be nil.
func NewService(store Store, channel Channel, box SecretBox, clock Clock, cfg Config, logger *slog.Logger) *Service {
	if cfg.NotifyPath == "" {
		cfg.NotifyPath = "/notify/alipay"
	}
	if cfg.DefaultTimeout == 0 {
		cfg.DefaultTimeout = 15 * time.Minute
	}
	if cfg.LatePayment == "" {
		cfg.LatePayment = LatePaymentRecord
	}
	if len(cfg.CheckSchedule) == 0 {
		cfg.CheckSchedule = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}
	}
	if cfg.RefundQueryDelay == 0 {
		cfg.RefundQueryDelay = 10 * time.Second
	}
	if cfg.MerchantCacheTTL == 0 {
		cfg.MerchantCacheTTL = DefaultMerchantCacheTTL
	}
	if clock == nil {
		clock = SystemClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, channel: channel, box: box, clock: clock, cfg: cfg, log: logger, changed: func(*Order) {}, noticed: func(string) {}, nonces: store,
		merchants: newMerchantCache(cfg.MerchantCacheTTL)}
}

// OnChange registers fn to be called after every committed change of an order.
func (s *Service) OnChange(fn func(*Order)) { s.changed = fn }

// Store returns the store the service runs on.
func (s *Service) Store() Store { return s.store }

// Config returns the service's settings.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return Now(s.clock) }

// tx runs fn in a transaction, again when a concurrent writer made it stale; after a commit
// that wrote an event it calls the OnEvent hooks.
func (s *Service) tx(ctx context.Context, fn func(q Queries) error) error {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		w := &eventWatch{}
		err = s.store.Tx(ctx, func(q Queries) error { w.Queries = q; return fn(w) })
		if err == nil && w.wrote {
			s.eventWritten()
		}
		if !errors.Is(err, ErrStale) {
			return err
		}
	}
	return err
}

// newEvent builds an outbox row for a change; data is frozen as JSON now.
func (s *Service) newEvent(typ, key string, clientID, outTradeNo string, data any) (*Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return &Event{
		ID: "evt_" + randomToken(24), Type: typ, Key: key, ClientID: clientID,
		OutTradeNo: outTradeNo, CreatedAt: s.now(), Data: raw,
	}, nil
}

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomToken returns n characters drawn uniformly from [A-Za-z0-9] by crypto/rand.
func randomToken(n int) string {
	out := make([]byte, n)
	buf := make([]byte, n*2)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			if b >= 248 { // 248 = 4*62: reject to keep the draw uniform
				continue
			}
			out[i] = tokenAlphabet[int(b)%62]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

// RandomToken exposes the token generator for ids (app ids, nonces in tests).
func RandomToken(n int) string { return randomToken(n) }
