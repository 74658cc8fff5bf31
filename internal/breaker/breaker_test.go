package breaker

// Unit tests of the breaker's states, transitions, their log lines and its settings, over
// the fake channel of channel_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// transitions records OnStateChange calls as "from>to".
type transitions struct {
	mu   sync.Mutex
	list []string
}

func (r *transitions) add(from, to State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, from.String()+">"+to.String())
}

func (r *transitions) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.list...)
}

// syncBuffer is a bytes.Buffer for a logger written from the breaker's timer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func waitState(t *testing.T, c *Channel, s State) {
	t.Helper()
	testutil.WaitFor(t, 0, "breaker "+s.String(), func() bool { return c.State() == s })
}

// TestTransitions walks closed → open → half-open → closed. The move to half-open must come
// from the breaker's own timer (nothing calls it meanwhile), so that the gauge and the logs
// do not say "open" after the open period. Each transition is one log line with typed
// attributes and one OnStateChange call.
func TestTransitions(t *testing.T) {
	var logs syncBuffer
	var rec transitions
	f := &fake{answer: always(unknown)}
	c := newTestBreaker(t, f, Config{Failures: 2, OpenFor: 50 * time.Millisecond, Probes: 2,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), OnStateChange: rec.add})
	_, _ = c.Precreate(context.Background(), payment.PrecreateRequest{})
	if got := rec.get(); len(got) != 0 {
		t.Fatalf("transitions after one unknown outcome: %v", got)
	}
	_, _ = c.Precreate(context.Background(), payment.PrecreateRequest{})
	testutil.WaitFor(t, 0, "the timer moves the breaker to half-open", func() bool { return len(rec.get()) == 2 })
	f.setAnswer(nil)
	if _, err := c.Query(context.Background(), "o1"); err != nil {
		t.Fatal(err)
	}
	if c.State() != HalfOpen {
		t.Fatalf("state %s after 1 of 2 probes, want half-open", c.State())
	}
	if _, err := c.Precreate(context.Background(), payment.PrecreateRequest{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"closed>open", "open>half-open", "half-open>closed"}
	if got := rec.get(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	lines := logs.lines()
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want one per transition: %v", len(lines), lines)
	}
	open := lines[0]
	if open["level"] != "WARN" || open["from"] != "closed" || open["to"] != "open" || open["component"] != "breaker" ||
		open["open_for"] != float64(50*time.Millisecond) || open["failures"] != float64(2) ||
		open["last_method"] != "Precreate" || !strings.Contains(fmt.Sprint(open["last_error"]), "UPSTREAM_UNAVAILABLE") {
		t.Errorf("opening logged as %v", open)
	}
	for i, to := range []string{"half-open", "closed"} {
		if l := lines[i+1]; l["level"] != "INFO" || l["to"] != to || l["msg"] != "alipay circuit breaker "+to {
			t.Errorf("transition to %s logged as %v", to, l)
		}
	}
}

// TestHalfOpenFailureReopens: one unknown outcome of a probe opens the breaker again.
func TestHalfOpenFailureReopens(t *testing.T) {
	var rec transitions
	f := &fake{answer: always(unknown)}
	c := newTestBreaker(t, f, Config{Failures: 1, OpenFor: time.Millisecond, OnStateChange: rec.add})
	_, _ = c.RefundQuery(context.Background(), "o1", "r1")
	waitState(t, c, HalfOpen)
	_, _ = c.RefundQuery(context.Background(), "o1", "r1")
	want := []string{"closed>open", "open>half-open", "half-open>open"}
	if got := rec.get(); len(got) < 3 || fmt.Sprint(got[:3]) != fmt.Sprint(want) {
		t.Fatalf("transitions %v, want %v first", got, want)
	}
}

// TestHalfOpenLimitsNewMoney: half-open with its one probe in flight, a new payment fails
// fast with a Retry-After of a second, a settling call still goes through, and the probe's
// success closes the breaker.
func TestHalfOpenLimitsNewMoney(t *testing.T) {
	f := &fake{answer: always(unknown)}
	c := newTestBreaker(t, f, Config{Failures: 1, OpenFor: time.Millisecond, Probes: 1})
	_, _ = c.Precreate(context.Background(), payment.PrecreateRequest{})
	waitState(t, c, HalfOpen)
	release := make(chan struct{})
	f.setAnswer(func(method string) error {
		if method == "Query" {
			<-release
		}
		return nil
	})
	probe := make(chan error, 1)
	go func() { _, err := c.Query(context.Background(), "o1"); probe <- err }()
	testutil.WaitFor(t, 0, "the probe reaches the channel", func() bool { return f.count("Query") == 1 })

	_, err := c.Precreate(context.Background(), payment.PrecreateRequest{})
	var pe *payment.Error
	if !errors.As(err, &pe) || pe.Code != payment.CodeUpstreamUnavailable || pe.RetryAfter != time.Second {
		t.Fatalf("precreate beside the probe: %v, want UPSTREAM_UNAVAILABLE retry after 1 s", err)
	}
	if n := f.count("Precreate"); n != 1 {
		t.Fatalf("the refused precreate reached the channel (%d calls)", n)
	}
	if err := c.AdmitNew(); err != nil {
		t.Fatalf("AdmitNew while half-open: %v; only an open breaker refuses up front", err)
	}
	if _, err := c.RefundQuery(context.Background(), "o1", "r1"); err != nil || f.count("RefundQuery") != 1 {
		t.Fatalf("settling call beside the probe: %v, %d calls", err, f.count("RefundQuery"))
	}
	close(release)
	if err := <-probe; err != nil {
		t.Fatal(err)
	}
	if c.State() != Closed {
		t.Fatalf("state %s after the probe succeeded, want closed", c.State())
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil) succeeded")
	}
	for _, cfg := range []Config{{Failures: -1}, {OpenFor: -time.Second}, {Probes: -1}, {Failures: 1 << 33}, {Probes: 10001}} {
		if _, err := New(&fake{}, cfg); err == nil || !strings.Contains(err.Error(), "must be 0..10000") {
			t.Errorf("New(%+v): %v, want a clear error", cfg, err)
		}
	}
	c := newTestBreaker(t, &fake{}, Config{})
	if c.cfg.Failures != DefaultFailures || c.cfg.OpenFor != DefaultOpenFor || c.cfg.Probes != DefaultProbes {
		t.Errorf("defaults %+v", c.cfg)
	}
	if c.State() != Closed {
		t.Errorf("a new breaker is %s", c.State())
	}
}
