// Package ratelimit holds the gateway's request rate limits (docs/api.md, Rate limits): a token bucket per
// merchant client and one per client IP on the public routes. The buckets live behind the
// Store interface so that one shared by several instances (Redis) can replace the in-memory
// one without touching the HTTP layer.
package ratelimit

import (
	"context"
	"log/slog"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Defaults (docs/api.md, Rate limits): 50 requests per second with a burst of 100 per client; the public
// pages (cashier, console login) get 20 per second with a burst of 40 per IP. The notify
// endpoint gets its own, wider bucket per IP (200/s, burst 400): Alipay sends a busy
// shop's notifications from few addresses, and one refused there is not audited.
const (
	DefaultClientRate  = 50
	DefaultClientBurst = 100
	DefaultIPRate      = 20
	DefaultIPBurst     = 40
	DefaultNotifyRate  = 200
	DefaultNotifyBurst = 400
)

// Route classes of AllowIP.
const (
	RoutePublic = "public" // cashier pages, console login
	RouteNotify = "notify" // POST /notify/alipay
)

// Limit is a token bucket: Rate tokens per second, at most Burst stored.
type Limit struct {
	Rate  float64
	Burst int
}

// Store keeps token buckets by key. Allow takes one token from the bucket of key, creating
// it full when it does not exist and applying limit to it (a limit may change between
// calls, as an operator edits a client). When no token is left it answers false and how
// long until one is. An error means the store could not decide (a remote store is down).
type Store interface {
	Allow(ctx context.Context, key string, limit Limit) (ok bool, retryAfter time.Duration, err error)
}

// Peeker is a Store that can tell, without taking a token, whether the bucket of key is
// empty now. The HTTP layer uses it to refuse a flooding client's requests before paying
// for their authentication.
type Peeker interface {
	Peek(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Config sets the limits of a Policy; zero values take the defaults. A negative rate
// switches that limit off.
type Config struct {
	ClientRate  float64
	ClientBurst int
	IPRate      float64
	IPBurst     int
	NotifyRate  float64
	NotifyBurst int
	// AuthFailRate and AuthFailBurst budget the failed authentications of the merchant API
	// per source (authfail.go); default 1/s, burst 60.
	AuthFailRate  float64
	AuthFailBurst int
	// NotifyFailRate and NotifyFailBurst budget the notifications whose signature does not
	// verify, per source (notifyfail.go); default 2/s, burst 20.
	NotifyFailRate  float64
	NotifyFailBurst int
	// IPv6Prefix is how much of an IPv6 address names one source (rate_limit.ipv6_prefix):
	// rotating addresses inside it escapes no limit. 0 = 64.
	IPv6Prefix int
	Logger     *slog.Logger // store failures; nil = discard
}

// Policy applies the gateway's limits on a Store: per client (with the client's own
// override from the clients table) and per IP. It satisfies httpapi.Limiter and
// httpapi.IPLimiter.
type Policy struct {
	store    Store
	client   Limit
	ip       Limit
	notify   Limit
	authFail Limit
	// notifyFail budgets unverified notifications per source (notifyfail.go).
	notifyFail Limit
	v6Prefix   int
	blocked    blocked
	log        *slog.Logger
}

// NewPolicy builds the limits of cfg over store.
func NewPolicy(store Store, cfg Config) *Policy {
	p := &Policy{store: store, log: cfg.Logger,
		client: Limit{Rate: cfg.ClientRate, Burst: cfg.ClientBurst},
		ip:     Limit{Rate: cfg.IPRate, Burst: cfg.IPBurst}, notify: Limit{Rate: cfg.NotifyRate, Burst: cfg.NotifyBurst},
		authFail: Limit{Rate: cfg.AuthFailRate, Burst: cfg.AuthFailBurst}, v6Prefix: cfg.IPv6Prefix,
		notifyFail: Limit{Rate: cfg.NotifyFailRate, Burst: cfg.NotifyFailBurst}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	fill := func(l *Limit, rate float64, burst int) {
		if l.Rate == 0 {
			l.Rate = rate
		}
		if l.Burst <= 0 {
			l.Burst = max(burst, int(l.Rate))
		}
	}
	fill(&p.client, DefaultClientRate, DefaultClientBurst)
	fill(&p.ip, DefaultIPRate, DefaultIPBurst)
	fill(&p.notify, DefaultNotifyRate, DefaultNotifyBurst)
	fill(&p.authFail, DefaultAuthFailRate, DefaultAuthFailBurst)
	fill(&p.notifyFail, DefaultNotifyFailRate, DefaultNotifyFailBurst)
	return p
}

// ClientLimit is the limit that applies to c: its own rate and burst when set, the
// policy's otherwise.
func (p *Policy) ClientLimit(c *payment.Merchant) Limit {
	l := p.client
	if c != nil && c.RateLimit > 0 {
		l.Rate = c.RateLimit
		l.Burst = max(c.RateBurst, 1)
		if c.RateBurst <= 0 {
			l.Burst = max(int(c.RateLimit), 1)
		}
	}
	return l
}

// Allow takes a token from the client's bucket. A store failure lets the request through
// (and is logged): an outage of the limiter must not stop payments.
func (p *Policy) Allow(ctx context.Context, c *payment.Merchant) (bool, time.Duration) {
	if c == nil {
		return true, 0
	}
	return p.take(ctx, "client:"+c.AppID, p.ClientLimit(c))
}

// PeekClient reports whether the client with appID still has a token, without taking it
// and without knowing the client's own limit (the bucket remembers it). A client with no
// bucket yet, a store that cannot peek, or a store failure answer true.
func (p *Policy) PeekClient(ctx context.Context, appID string) (bool, time.Duration) {
	pk, ok := p.store.(Peeker)
	if !ok || p.client.Rate < 0 {
		return true, 0
	}
	ok, retry, err := pk.Peek(ctx, "client:"+appID)
	if err != nil {
		return true, 0
	}
	return ok, retry
}

// AllowIP takes a token from the bucket of a client IP's source (Source) for a route class
// (RouteNotify or RoutePublic); each class has its own buckets.
func (p *Policy) AllowIP(ctx context.Context, route, ip string) (bool, time.Duration) {
	if route == RouteNotify {
		return p.take(ctx, "notify:"+p.Source(ip), p.notify)
	}
	return p.take(ctx, "ip:"+p.Source(ip), p.ip)
}

// Source names the bucket of a client IP: the IPv4 address, or the IPv6 network of the
// configured prefix length.
func (p *Policy) Source(ip string) string { return payment.SourceKey(ip, p.v6Prefix) }

func (p *Policy) take(ctx context.Context, key string, l Limit) (bool, time.Duration) {
	if l.Rate < 0 {
		return true, 0
	}
	ok, retry, err := p.store.Allow(ctx, key, l)
	if err != nil {
		p.log.Warn("rate limiter unavailable; request let through", slog.String("key", key), slog.Any("err", err))
		return true, 0
	}
	return ok, retry
}
