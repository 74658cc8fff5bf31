package app

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// movableClock is the system clock plus an offset that the test moves.
type movableClock struct {
	mu sync.Mutex
	by time.Duration
}

func (c *movableClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.by) }
func (c *movableClock) add(d time.Duration) { c.mu.Lock(); c.by += d; c.mu.Unlock() }

// syncBuffer is a log destination safe for the workers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRetentionPurgeWired: the gateway runs the retention purge on retention.interval with
// its clock: the nonce of a request is purged once it expired, not before.
func TestRetentionPurgeWired(t *testing.T) {
	clock := &movableClock{}
	logs := &syncBuffer{}
	b := setup(t, func(c *config.Config) { c.Retention.Interval = 50 * time.Millisecond }, func(o *Options) {
		o.Clock = clock
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	if _, _, err := b.client.Create(t.Context(), client.CreateRequest{OutTradeNo: "ret_1", TotalAmount: "1.00", Subject: "s"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // several purges with the nonce unexpired
	if strings.Contains(logs.String(), "nonces=1") {
		t.Fatalf("an unexpired nonce was purged:\n%s", logs.String())
	}
	clock.add(16 * time.Minute)
	testutil.WaitFor(t, 30*time.Second, "the expired nonce purged", func() bool {
		return strings.Contains(logs.String(), "msg=\"retention purge\" component=retention nonces=1")
	})
}
