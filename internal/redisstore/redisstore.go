// Package redisstore keeps the gateway's shared short-lived state in Redis, so that several
// f2fpay instances behind a load balancer act as one: request nonces (a nonce used on one
// instance is refused on every other) and the rate limiter's token buckets (a client's limit
// holds across all instances together).
//
// Nonces fail closed: when Redis cannot answer, UseNonce returns an error and the Service
// refuses the request with 503 rather than skip replay protection. The limiter reports its
// error and lets ratelimit.Policy decide (it lets requests through).
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

// DefaultPrefix starts every key this package writes.
const DefaultPrefix = "f2fpay:"

// Options configure a Store; zero values take the defaults.
type Options struct {
	Prefix  string        // key prefix; default DefaultPrefix (one Redis can serve several installations)
	Timeout time.Duration // per command; default 2 s, so an unreachable Redis fails fast
}

// Store is the nonce store (payment.NonceStore) and the rate limiter store
// (ratelimit.Store) over one pool of Redis connections. It is safe for concurrent use.
//
// The client is redigo: a command is a name and arguments, and the few this package sends
// need nothing more. (go-redis, used before, cost 8 MB of the binary: its client's hundreds
// of command methods are all kept by the linker once html/template's reflection is linked.)
type Store struct {
	pool     *redis.Pool
	prefix   string
	brokenAt atomic.Int64 // unix ns of the last connection Redis closed on us
}

// idleCheck is how long a pooled connection may sit unused before it is pinged on borrow:
// a Redis restarted since then has closed it, and the request it would serve must not be
// the one that finds out.
const idleCheck = 5 * time.Second

var (
	_ payment.NonceStore = (*Store)(nil)
	_ ratelimit.Store    = (*Store)(nil)
)

// Open connects to the Redis server at rawURL (redis://[user:pass@]host:port/db or rediss://
// for TLS) and checks that it answers.
func Open(ctx context.Context, rawURL string, o Options) (*Store, error) {
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, fmt.Errorf("redis: %q is not a redis:// or rediss:// URL with a host", redact(rawURL))
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	size := 10 * runtime.GOMAXPROCS(0)
	s := &Store{prefix: o.Prefix}
	pool := &redis.Pool{
		DialContext: func(ctx context.Context) (redis.Conn, error) {
			return redis.DialURLContext(ctx, rawURL, redis.DialConnectTimeout(o.Timeout),
				redis.DialReadTimeout(o.Timeout), redis.DialWriteTimeout(o.Timeout))
		},
		TestOnBorrowContext: func(ctx context.Context, c redis.Conn, lastUsed time.Time) error {
			// Connections older than a failure are suspect too: a restarted Redis closed
			// them all.
			if time.Since(lastUsed) < idleCheck && lastUsed.UnixNano() > s.brokenAt.Load() {
				return nil
			}
			_, err := redis.DoContext(c, ctx, "PING")
			return err
		},
		MaxIdle:     size,
		MaxActive:   size,
		IdleTimeout: 5 * time.Minute,
		Wait:        true, // a burst beyond the pool waits for a connection (bounded by ctx)
	}
	s.pool = pool
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// redact drops the password from a Redis URL for an error message.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// do runs fn on a pooled connection, within ctx. A connection Redis had closed (it
// restarted, or dropped idle clients) is retried once on a checked one: Redis never saw
// the command there, and a retried SET NX can at worst refuse a request, never admit a
// replay.
func (s *Store) do(ctx context.Context, fn func(redis.Conn) (any, error)) (any, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.pool.GetContext(ctx)
		if err != nil {
			return nil, err
		}
		reply, err := fn(c)
		broken := err != nil && c.Err() != nil
		c.Close()
		if !broken {
			return reply, err
		}
		s.brokenAt.Store(time.Now().UnixNano())
		if attempt > 0 || !closedByPeer(err) {
			return nil, err
		}
	}
}

// command runs one command through do.
func (s *Store) command(ctx context.Context, cmd string, args ...any) (any, error) {
	return s.do(ctx, func(c redis.Conn) (any, error) { return redis.DoContext(c, ctx, cmd, args...) })
}

// closedByPeer reports whether err says the server had closed the connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.command(ctx, "PING"); err != nil {
		return fmt.Errorf("redis: %v", err)
	}
	return nil
}

// Close closes the connections; the Store must not be used afterwards.
func (s *Store) Close() error { return s.pool.Close() }

// UseNonce records (appID, nonce) with SET NX and an expiry at expiresAt, one atomic
// command, so that of two requests racing with the same nonce on two instances only one
// passes. ErrDuplicate on a replay; any other error means Redis could not decide (fail
// closed: the caller refuses the request).
func (s *Store) UseNonce(ctx context.Context, appID, nonce string, now, expiresAt time.Time) error {
	ttl := expiresAt.Sub(now)
	if ttl <= 0 {
		return nil // already expired: nothing to remember
	}
	key := s.prefix + "nonce:" + appID + ":" + nonce
	ms := max(ttl.Milliseconds(), 1)
	reply, err := s.command(ctx, "SET", key, 1, "NX", "PX", ms)
	switch {
	case err != nil:
		return fmt.Errorf("redis: nonce: %v", err)
	case reply == nil: // SET NX answers nil when the key exists
		return payment.ErrDuplicate
	}
	return nil
}
