package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/f2fpay/f2fpay/internal/natsrelay"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/redisstore"
)

// PoolConfig tunes the PostgreSQL connection pool (database_pool); zero values keep the
// driver's defaults or the DSN's pool_* parameters.
type PoolConfig struct {
	MaxConns        int32         `yaml:"max_conns"`          // default max(4, CPUs)
	MinConns        int32         `yaml:"min_conns"`          // kept open; default 0
	MaxConnLifetime time.Duration `yaml:"max_conn_lifetime"`  // default 1h
	MaxConnIdleTime time.Duration `yaml:"max_conn_idle_time"` // default 30m
	Schema          string        `yaml:"schema"`             // search_path schema, created if missing; default the DSN's
}

// scaleConfig is what several instances share besides the database: Redis for nonces and
// rate limits, NATS JetStream for publishing events.
type scaleConfig struct {
	Pool     PoolConfig
	RedisURL string // redis://…; empty = nonces in the database, buckets in memory
	NATSURL  string // nats://…; empty = no publishing
}

// shared is what openShared wired: the rate limiter's bucket store and what to stop at the end.
type shared struct {
	limits   ratelimit.Store
	stoppers []interface{ Stop() }
}

// stopFunc adapts a close function to the gateway's list of things to stop.
type stopFunc func()

func (f stopFunc) Stop() { f() }

// openShared connects Redis and NATS when configured. Redis becomes the service's nonce
// store and the rate limiter's store; an unreachable Redis at start is a start-up error
// (the refusal is clearer now than 503s later). The NATS relay starts even when NATS is
// down, because events wait in the outbox until it is back.
func openShared(ctx context.Context, o gatewayOptions, svc *payment.Service) (*shared, error) {
	sh := &shared{limits: ratelimit.NewMemory(nil)}
	if url := o.scale.RedisURL; url != "" {
		rs, err := redisstore.Open(ctx, url, redisstore.Options{})
		if err != nil {
			return nil, fmt.Errorf("redis_url: %v", err)
		}
		svc.SetNonceStore(rs)
		sh.limits = rs
		sh.stoppers = append(sh.stoppers, stopFunc(func() { _ = rs.Close() }))
		o.log.Info("redis: shared nonces and rate limits")
	}
	if url := o.scale.NATSURL; url != "" && !o.noWorkers {
		relay, err := natsrelay.New(svc.Store(), natsrelay.Config{URL: url, Logger: o.log.With("component", "nats")})
		if err != nil {
			for _, s := range sh.stoppers {
				s.Stop()
			}
			return nil, fmt.Errorf("events.nats_url: %v", err)
		}
		svc.OnEvent(relay.Wake)
		relay.Start(context.WithoutCancel(ctx))
		// Stopped before the store closes; listed first so that it stops before Redis too.
		sh.stoppers = append([]interface{ Stop() }{relay}, sh.stoppers...)
		o.log.Info("nats: publishing events", "subjects", natsrelay.SubjectPrefix+">")
	}
	return sh, nil
}

// scale returns the scale-out settings of the configuration.
func (c *Config) scale() scaleConfig {
	return scaleConfig{Pool: c.DatabasePool, RedisURL: c.RedisURL, NATSURL: c.Events.NATSURL}
}

// parseInt32 parses a non-negative pool size.
func parseInt32(v string, dst *int32) error {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return fmt.Errorf("want a non-negative integer, got %q", v)
	}
	*dst = int32(n)
	return nil
}

// scaleFlags are --database, --redis and --nats, which win over the file and F2FPAY_*.
type scaleFlags struct{ database, redis, nats *string }

func addScaleFlags(fs *flag.FlagSet) scaleFlags {
	return scaleFlags{
		database: fs.String("database", "", "database DSN: sqlite:PATH or postgres://… (F2FPAY_DATABASE)"),
		redis:    fs.String("redis", "", "Redis URL for nonces and rate limits shared by instances (F2FPAY_REDIS)"),
		nats:     fs.String("nats", "", "NATS URL to publish events to JetStream (F2FPAY_NATS)"),
	}
}

// apply copies the flags that were given onto cfg.
func (f scaleFlags) apply(cfg *Config) {
	if *f.database != "" {
		cfg.Database = *f.database
	}
	if *f.redis != "" {
		cfg.RedisURL = *f.redis
	}
	if *f.nats != "" {
		cfg.Events.NATSURL = *f.nats
	}
}
