package doctor

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/f2fpay/f2fpay/internal/natsrelay"
	"github.com/f2fpay/f2fpay/internal/redisstore"
)

// checkRedis pings Redis when redis_url is set, as serve does at start.
func (d *doctor) checkRedis(ctx context.Context) {
	u := d.cfg.RedisURL
	if u == "" {
		return
	}
	ctx, cancel := d.timeout(ctx)
	defer cancel()
	s, err := redisstore.Open(ctx, u, redisstore.Options{})
	if err != nil {
		d.add(Result{Name: "redis", Status: Fail, Detail: fmt.Sprintf("%s: %v", host(u), err),
			Fix: "check redis_url (F2FPAY_REDIS): redis://[user:password@]host:6379/db, rediss:// for TLS, and that Redis accepts this host"})
		return
	}
	_ = s.Close()
	d.add(Result{Name: "redis", Status: OK, Detail: host(u) + " answers PING"})
}

// checkNATS connects to NATS when events.nats_url is set and asks for JetStream.
func (d *doctor) checkNATS(ctx context.Context) {
	u := d.cfg.Events.NATSURL
	if u == "" {
		return
	}
	ctx, cancel := d.timeout(ctx)
	defer cancel()
	res, err := natsrelay.Check(ctx, u, "")
	if err != nil {
		d.add(Result{Name: "nats", Status: Fail, Detail: fmt.Sprintf("%s: %v", host(u), err),
			Fix: "check events.nats_url (F2FPAY_NATS), and that the server runs JetStream (nats-server -js)"})
		return
	}
	stream := "stream " + res.Stream + " exists"
	if !res.StreamExists {
		stream = "stream " + res.Stream + " is created at the first event"
	}
	d.add(Result{Name: "nats", Status: OK, Detail: fmt.Sprintf("%s: NATS %s with JetStream; %s", host(u), res.ServerVersion, stream)})
}

// host is the host:port of a URL (the first of a comma-separated list), without the
// credentials it may carry.
func host(raw string) string {
	raw, _, _ = strings.Cut(raw, ",")
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured URL"
	}
	return u.Host
}
