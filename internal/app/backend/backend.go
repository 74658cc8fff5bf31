// Package backend builds the part of a gateway below its workers and HTTP, in dependency
// order: the store, then the Alipay channel (which records its calls in that store) behind
// its circuit breaker, then the payment service over both. internal/app builds the rest on top of it. It is a package
// of its own so that the tests of the packages internal/app imports (worker, httpapi…) can
// build the same stack through internal/testenv without an import cycle.
package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/breaker"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// Both stores keep the Alipay certificates of certificate mode; were one to lose a method,
// the channel would fall back to memory unnoticed, so the build checks it.
var (
	_ alipay.CertCache = (*sqlite.Store)(nil)
	_ alipay.CertCache = (*postgres.Store)(nil)
)

// OpenStore opens the database named by a DSN: sqlite:PATH (or a bare path) or
// postgres://… with the pool settings. Its errors start with "database".
func OpenStore(ctx context.Context, dsn string, pool config.PoolConfig) (payment.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		st, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: pool.MaxConns, MinConns: pool.MinConns,
			MaxConnLifetime: pool.MaxConnLifetime, MaxConnIdleTime: pool.MaxConnIdleTime, Schema: pool.Schema})
		if err != nil {
			return nil, fmt.Errorf("database: %v", err)
		}
		return st, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
	}
	if dsn == "" {
		return nil, errors.New("database: empty DSN; use sqlite:PATH or postgres://…")
	}
	st, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("database %s: %v", dsn, err)
	}
	return st, nil
}

// Options is what the backend needs besides its store.
type Options struct {
	Alipay    config.AlipayConfig
	WeChat    config.WeChatConfig // the WeChat Pay channel, when Enabled
	MasterKey string              // seals client secrets at rest
	Payment   payment.Config      // the service's settings
	Clock     payment.Clock       // nil = the system clock
	Logger    *slog.Logger        // nil = discard
	// OnChannelCall is told of every Alipay call after it is recorded (metrics).
	OnChannelCall func(payment.ChannelCall)
	// OnCertEvent is told of each Alipay certificate event of certificate mode (metrics).
	OnCertEvent func(kind string)
	// Breaker, when set, puts the circuit breaker around the channel (f2fpay always does;
	// the core's tests leave it out to see every call reach the sandbox).
	Breaker *config.BreakerConfig
	// OnBreakerState is told the breaker's state (0 closed, 1 half-open, 2 open) on every
	// transition (the metrics gauge).
	OnBreakerState func(state int)
	// WrapChannel, when set, wraps the channel the service uses, outside the breaker (tests
	// that fake answers).
	WrapChannel func(payment.Channel) payment.Channel
}

// ChannelConfig is the Alipay channel's configuration from the alipay settings; New and
// doctor add the logger, recorder and certificate cache.
func ChannelConfig(a config.AlipayConfig) alipay.Config {
	return alipay.Config{
		AppID: a.AppID, PrivateKey: a.PrivateKey, AlipayPublicKey: a.AlipayPublicKey,
		AppCertPEM: []byte(a.AppCert), AlipayCertPEM: []byte(a.AlipayCert), RootCertPEM: []byte(a.RootCert),
		GatewayURL: a.GatewayURL(), SellerID: a.SellerID, Timeout: a.Timeout,
	}
}

// Backend is the built stack. The caller still owns the store and closes it.
type Backend struct {
	Store   payment.Store
	Channel *alipay.Channel    // the real channel, unwrapped
	WeChat  *wechatpay.Channel // the WeChat Pay channel, unwrapped; nil when not configured
	Service *payment.Service
}

// New builds the channel and the service over st. Its errors name the bad setting (the
// master key, a key or certificate of the Alipay app).
func New(st payment.Store, o Options) (*Backend, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	box, err := secretbox.New(o.MasterKey)
	if err != nil {
		return nil, err
	}
	record := func(c payment.ChannelCall) {
		// Kept for the console's order timeline; a failed insert loses only that line.
		_ = st.InsertChannelCall(context.Background(), &c)
		if o.OnChannelCall != nil {
			o.OnChannelCall(c)
		}
	}
	// In certificate mode the channel keeps the Alipay certificates it checked in the store,
	// so that every instance trusts the same ones (docs/decisions.md, "Alipay channel").
	certs, _ := st.(alipay.CertCache)
	cc := ChannelConfig(o.Alipay)
	cc.Logger, cc.Recorder, cc.CertCache, cc.OnCertEvent = log.With(slog.String("component", "alipay")), record, certs, o.OnCertEvent
	ch, err := alipay.New(cc)
	if err != nil {
		return nil, err
	}
	var channel payment.Channel = ch
	if b := o.Breaker; b != nil {
		br, err := breaker.New(ch, breaker.Config{Failures: b.Failures, OpenFor: b.OpenFor, Probes: b.Probes,
			Logger: log.With(slog.String("component", "breaker")), OnStateChange: func(_, to breaker.State) {
				if o.OnBreakerState != nil {
					o.OnBreakerState(int(to))
				}
			}})
		if err != nil {
			return nil, err
		}
		channel = br
	}
	if o.WrapChannel != nil {
		channel = o.WrapChannel(ch)
	}
	svc := payment.NewService(st, channel, box, o.Clock, o.Payment, log)
	svc.SetBillSource(ch) // the daily bill, downloaded outside the breaker: it settles no order
	b := &Backend{Store: st, Channel: ch, Service: svc}
	if o.WeChat.Enabled() {
		wx, wch, err := newWeChat(o, log, st)
		if err != nil {
			return nil, err
		}
		b.WeChat = wx
		svc.AddChannel(payment.ChannelWeChat, wch)
	}
	return b, nil
}

// WeChatClientConfig is the WeChat Pay client's configuration from the wechat settings;
// newWeChat and doctor add the logger and recorder.
func WeChatClientConfig(w config.WeChatConfig) wechatpay.Config {
	return wechatpay.Config{MchID: w.MchID, AppID: w.AppID, CertSerial: w.CertSerial, PrivateKey: w.PrivateKey,
		APIv3Key: w.APIv3Key, PlatformPublicKey: w.PlatformPublicKey, PlatformPublicKeyID: w.PlatformPublicKeyID,
		Gateway: w.GatewayURL(), Timeout: w.Timeout}
}

// WeChatNotifyPath is where WeChat Pay's notifications arrive.
const WeChatNotifyPath = "/notify/wechat"

// newWeChat builds the WeChat Pay channel (its calls recorded in st, like Alipay's) and
// what the service runs it as: behind a circuit breaker of its own when breakers are on,
// still verifying notifications itself.
func newWeChat(o Options, log *slog.Logger, st payment.Store) (*wechatpay.Channel, payment.Channel, error) {
	wc := WeChatClientConfig(o.WeChat)
	// Signatures carry the wall clock's time, which WeChat Pay checks (5 minutes), whatever
	// clock the service runs on.
	wc.Logger = log.With(slog.String("component", "wechatpay"))
	wc.Recorder = func(c payment.ChannelCall) { _ = st.InsertChannelCall(context.Background(), &c) }
	client, err := wechatpay.New(wc)
	if err != nil {
		return nil, nil, fmt.Errorf("wechat: %v", err)
	}
	wx := wechatpay.NewChannel(client, strings.TrimRight(o.Payment.PublicURL, "/")+WeChatNotifyPath)
	b := o.Breaker
	if b == nil {
		return wx, wx, nil
	}
	br, err := breaker.New(wx, breaker.Config{Failures: b.Failures, OpenFor: b.OpenFor, Probes: b.Probes,
		Logger: log.With(slog.String("component", "breaker"), slog.String("channel", payment.ChannelWeChat))})
	if err != nil {
		return nil, nil, err
	}
	return wx, breakerWithVerifier{Channel: br, v: wx}, nil
}

// breakerWithVerifier is the breaker around the WeChat Pay channel that still lets the
// service verify notifications (payment.HTTPNotificationVerifier): verifying calls nobody.
type breakerWithVerifier struct {
	*breaker.Channel
	v *wechatpay.Channel
}

func (b breakerWithVerifier) VerifyHTTPNotification(h http.Header, body []byte) (*payment.Notification, error) {
	return b.v.VerifyHTTPNotification(h, body)
}
