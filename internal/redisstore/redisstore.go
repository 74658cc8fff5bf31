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
	"time"

	"github.com/redis/go-redis/v9"

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
// (ratelimit.Store) over one Redis client. It is safe for concurrent use.
type Store struct {
	rdb    *redis.Client
	prefix string
}

var (
	_ payment.NonceStore = (*Store)(nil)
	_ ratelimit.Store    = (*Store)(nil)
)

// Open connects to the Redis server at url (redis://[user:pass@]host:port/db or rediss://
// for TLS) and checks that it answers.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: %v", err)
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
	opt.MaxRetries = 1
	s := &Store{rdb: redis.NewClient(opt), prefix: o.Prefix}
	if err := s.Ping(ctx); err != nil {
		s.rdb.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %v", err)
	}
	return nil
}

// Close closes the connections; the Store must not be used afterwards.
func (s *Store) Close() error { return s.rdb.Close() }

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
	err := s.rdb.SetArgs(ctx, key, 1, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return payment.ErrDuplicate
	}
	return fmt.Errorf("redis: nonce: %v", err)
}
