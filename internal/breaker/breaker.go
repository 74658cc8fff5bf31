// Package breaker is the circuit breaker around the Alipay channel (docs/decisions.md,
// "Circuit breaker"): a payment.Channel decorator over github.com/sony/gobreaker/v2.
//
// Repeated unknown outcomes (UPSTREAM_UNAVAILABLE: timeouts, 20000, ACQ.SYSTEM_ERROR, a bad
// response signature) open it; Alipay's business answers (UPSTREAM_REJECTED) count as
// successes, since Alipay did answer. While it is open, calls that would start a new money
// movement fail at once with UPSTREAM_UNAVAILABLE and a RetryAfter, without reaching
// Alipay; calls that settle money already moving always go through. channel.go classifies
// each method of the port.
package breaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Defaults for the zero values of Config.
const (
	DefaultFailures = 5
	DefaultOpenFor  = 30 * time.Second
	DefaultProbes   = 3
)

// maxCount bounds Failures and Probes: gobreaker counts in uint32, and a breaker that needs
// more than this many calls to change state would never change it.
const maxCount = 10000

// State is the breaker's state; its values are those of the f2fpay_alipay_breaker_state
// gauge (deploy/README.md).
type State int

// The three states.
const (
	Closed   State = 0 // every call goes through
	HalfOpen State = 1 // the open period is over: a few calls probe Alipay
	Open     State = 2 // new money movements fail fast; settling calls still go through
)

// String names the state as the logs write it.
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Config tunes the breaker; zero values take the defaults.
type Config struct {
	// Failures is how many unknown outcomes in a row open the breaker (default 5).
	Failures int
	// OpenFor is how long new money movements are refused before the breaker probes
	// Alipay again (half-open), default 30 s. It is also the Retry-After of a refusal.
	OpenFor time.Duration
	// Probes is how many successful calls in a row close a half-open breaker, and how many
	// counted calls it lets through meanwhile (default 3).
	Probes int
	// Logger gets one line per transition; nil discards them.
	Logger *slog.Logger
	// OnStateChange, when set, is called on every transition (the metrics gauge). It runs
	// while the breaker holds its lock: it must be quick and must not call the Channel.
	OnStateChange func(from, to State)
}

// Channel is the decorated payment.Channel. It is safe for concurrent use.
type Channel struct {
	next     payment.Channel
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	cfg      Config
	log      *slog.Logger
	openedAt atomic.Int64                // UnixNano of the last transition to open
	last     atomic.Pointer[lastFailure] // the latest unknown outcome, for the transition log
}

// lastFailure is what the log line of an opening says about its cause.
type lastFailure struct {
	method string
	err    string
}

// errFailure and errExcluded are what Channel reports to gobreaker for a call: an unknown
// outcome, or one that says nothing about Alipay's health. A success is reported as nil.
var (
	errFailure  = errors.New("alipay outcome unknown")
	errExcluded = errors.New("not about alipay's health")
)

// New wraps next. Its error names a negative setting; it does not call Alipay.
func New(next payment.Channel, cfg Config) (*Channel, error) {
	if next == nil {
		return nil, errors.New("breaker: no channel to wrap")
	}
	if cfg.Failures < 0 || cfg.OpenFor < 0 || cfg.Probes < 0 || cfg.Failures > maxCount || cfg.Probes > maxCount {
		return nil, fmt.Errorf("breaker: failures (%d) and probes (%d) must be 0..%d, open_for (%s) must not be negative",
			cfg.Failures, cfg.Probes, maxCount, cfg.OpenFor)
	}
	if cfg.Failures == 0 {
		cfg.Failures = DefaultFailures
	}
	if cfg.OpenFor == 0 {
		cfg.OpenFor = DefaultOpenFor
	}
	if cfg.Probes == 0 {
		cfg.Probes = DefaultProbes
	}
	c := &Channel{next: next, cfg: cfg, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "alipay",
		MaxRequests: uint32(cfg.Probes),
		Timeout:     cfg.OpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= uint32(cfg.Failures) },
		IsExcluded:  func(err error) bool { return errors.Is(err, errExcluded) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			c.transition(stateOf(from), stateOf(to))
		},
	})
	return c, nil
}

// State is the breaker's state now (an open period that has run out reads half-open).
func (c *Channel) State() State { return stateOf(c.cb.State()) }

func stateOf(s gobreaker.State) State {
	switch s {
	case gobreaker.StateHalfOpen:
		return HalfOpen
	case gobreaker.StateOpen:
		return Open
	}
	return Closed
}

// transition logs one line, tells OnStateChange, and on opening arms a timer that moves
// the breaker to half-open when the open period ends: gobreaker itself only notices when
// the next call comes, and the gauge and the log must not say "open" longer than it is.
// It runs under gobreaker's lock, so the timer's call to State happens later, outside it.
func (c *Channel) transition(from, to State) {
	attrs := []slog.Attr{slog.String("component", "breaker"), slog.String("from", from.String()),
		slog.String("to", to.String())}
	level := slog.LevelInfo
	if to == Open {
		level = slog.LevelWarn
		c.openedAt.Store(time.Now().UnixNano())
		time.AfterFunc(c.cfg.OpenFor+time.Millisecond, func() { c.cb.State() })
		attrs = append(attrs, slog.Duration("open_for", c.cfg.OpenFor), slog.Int("failures", c.cfg.Failures))
		if lf := c.last.Load(); lf != nil {
			attrs = append(attrs, slog.String("last_method", lf.method), slog.String("last_error", lf.err))
		}
	}
	c.log.LogAttrs(context.Background(), level, "alipay circuit breaker "+to.String(), attrs...)
	if c.cfg.OnStateChange != nil {
		c.cfg.OnStateChange(from, to)
	}
}

// refusal is the error of a new money movement the breaker does not let through: open
// (retry when the open period ends) or half-open with its probes already in flight (retry
// in a second, when they have answered).
func (c *Channel) refusal(cause error) error {
	wait := time.Second
	if errors.Is(cause, gobreaker.ErrOpenState) {
		wait = time.Until(time.Unix(0, c.openedAt.Load()).Add(c.cfg.OpenFor))
		wait = max(wait, time.Second)
	}
	return &payment.Error{Code: payment.CodeUpstreamUnavailable, RetryAfter: wait,
		Message: fmt.Sprintf("Alipay is failing: new payments and refunds are paused (circuit breaker); retry in %d s",
			int64((wait+time.Second-1)/time.Second))}
}
