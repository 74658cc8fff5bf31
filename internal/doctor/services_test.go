package doctor

import (
	"os"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
)

// TestRedisAndNATS: configured servers that answer pass; ones that do not fail with the
// setting to correct, and their credentials are not shown.
func TestRedisAndNATS(t *testing.T) {
	redisURL, natsURL := os.Getenv("F2FPAY_TEST_REDIS_URL"), os.Getenv("F2FPAY_TEST_NATS_URL")
	if redisURL == "" || natsURL == "" {
		t.Skip("Redis and NATS skipped: set F2FPAY_TEST_REDIS_URL (redis://127.0.0.1:6379/0) and F2FPAY_TEST_NATS_URL (nats://127.0.0.1:4222, with JetStream)")
	}
	b := setup(t)
	rs := b.run(t, func(c *config.Config, _ *Options) { c.RedisURL, c.Events.NATSURL = redisURL, natsURL })
	want(t, rs, "redis", OK, "answers PING")
	want(t, rs, "nats", OK, "with JetStream", "F2FPAY_EVENTS")
	rs = b.run(t, func(c *config.Config, _ *Options) {
		c.RedisURL, c.Events.NATSURL = "redis://:hunter2@127.0.0.1:1/0", "nats://user:hunter2@127.0.0.1:1"
	})
	want(t, rs, "redis", Fail, "127.0.0.1:1", "F2FPAY_REDIS")
	want(t, rs, "nats", Fail, "127.0.0.1:1", "F2FPAY_NATS")
	for _, r := range rs {
		if strings.Contains(r.Detail, "hunter2") {
			t.Errorf("%s shows the password: %s", r.Name, r.Detail)
		}
	}
}

// TestNotConfigured: without redis_url and events.nats_url there is no line for them.
func TestNotConfigured(t *testing.T) {
	b := setup(t)
	for _, r := range b.run(t, nil) {
		if r.Name == "redis" || r.Name == "nats" {
			t.Errorf("%s checked though not configured: %s", r.Name, r.Detail)
		}
	}
}
