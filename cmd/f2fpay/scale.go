package main

import (
	"flag"

	"github.com/f2fpay/f2fpay/internal/config"
)

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
func (f scaleFlags) apply(cfg *config.Config) {
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
