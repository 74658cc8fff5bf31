package natsrelay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// natsURL returns F2FPAY_TEST_NATS_URL or skips the test, saying how to enable it.
func natsURL(t *testing.T) string {
	t.Helper()
	v := os.Getenv("F2FPAY_TEST_NATS_URL")
	if v == "" {
		t.Skip("NATS tests skipped: set F2FPAY_TEST_NATS_URL, e.g. nats://127.0.0.1:4222 (a server with JetStream; .ci/run does)")
	}
	return v
}

func openStore(t *testing.T) payment.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "f2fpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// writer commits events (and rolls some back) and remembers the ids it committed.
type writer struct {
	store     payment.Store
	run       string
	mu        sync.Mutex
	committed []string
	rolled    []string
	n         int
}

var errRollback = errors.New("rolled back on purpose")

// write commits one event, or with rollback writes one and rolls it back.
func (w *writer) write(t *testing.T, rollback bool) {
	t.Helper()
	w.mu.Lock()
	w.n++
	i := w.n
	w.mu.Unlock()
	typ := []string{payment.EventPaymentSucceeded, payment.EventRefundSucceeded, payment.EventPaymentClosed}[i%3]
	e := &payment.Event{ID: fmt.Sprintf("evt_%s_%05d", w.run, i), Key: fmt.Sprintf("%s:%d", w.run, i), Type: typ,
		ClientID: "app_nats", OutTradeNo: fmt.Sprintf("o%d", i), CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
		Data: []byte(`{"out_trade_no":"o` + fmt.Sprint(i) + `"}`)}
	err := w.store.Tx(context.Background(), func(q payment.Queries) error {
		if err := q.InsertEvent(context.Background(), e); err != nil {
			return err
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case rollback && errors.Is(err, errRollback):
		w.rolled = append(w.rolled, e.ID)
	case !rollback && err == nil:
		w.committed = append(w.committed, e.ID)
	default:
		t.Errorf("write %s: %v", e.ID, err)
	}
}

// streamCounts reads every message of the stream since start and counts them by message id.
// streamExists reports whether JetStream at url has the stream.
func streamExists(url, stream string) bool {
	nc, err := nats.Connect(url)
	if err != nil {
		return false
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = js.Stream(ctx, stream)
	return err == nil
}

func streamCounts(t *testing.T, url, stream string, since time.Time) map[string]int {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	if info.State.Msgs == 0 {
		return counts
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := c.Next(jetstream.FetchMaxWait(time.Second))
		if errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, nats.ErrTimeout) {
			return counts
		}
		if err != nil {
			t.Fatal(err)
		}
		counts[m.Headers().Get(jetstream.MsgIDHeader)]++
		if md, _ := m.Metadata(); md != nil && md.NumPending == 0 {
			return counts
		}
	}
}

// check asserts that every committed event is in counts exactly once and no rolled-back one.
func (w *writer) check(t *testing.T, counts map[string]int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	missing, twice := 0, 0
	for _, id := range w.committed {
		switch counts[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	leaked := 0
	for _, id := range w.rolled {
		leaked += counts[id]
	}
	t.Logf("committed %d, rolled back %d; in the stream: %d once, %d missing, %d more than once, %d rolled-back",
		len(w.committed), len(w.rolled), len(w.committed)-missing-twice, missing, twice, leaked)
	if missing > 0 || twice > 0 || leaked > 0 {
		t.Fatalf("stream disagrees with the outbox: %d missing, %d duplicated, %d rolled-back published", missing, twice, leaked)
	}
}

// waitPublished waits until every committed event is in the stream, waking the relays.
func (w *writer) waitPublished(t *testing.T, url, stream string, since time.Time, within time.Duration, relays ...*Relay) map[string]int {
	t.Helper()
	// The relay creates the stream at its first publish: until then there is nothing to count.
	testutil.WaitFor(t, within, "the relay to create stream "+stream, func() bool {
		for _, r := range relays {
			r.Wake()
		}
		return streamExists(url, stream)
	})
	var counts map[string]int
	testutil.Eventually(within, func() bool {
		for _, r := range relays {
			r.Wake()
		}
		counts = streamCounts(t, url, stream, since)
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, id := range w.committed {
			if counts[id] == 0 {
				return false
			}
		}
		return true
	})
	return counts
}

// TestPublishOnce: events committed before and while the relay runs are in the stream once
// each, under their type's subject; rolled-back ones never; a second round republishes nothing.
func TestPublishOnce(t *testing.T) {
	url := natsURL(t)
	since := time.Now().Add(-time.Second)
	st := openStore(t)
	w := &writer{store: st, run: fmt.Sprintf("once%d", time.Now().UnixNano())}
	for i := range 30 {
		w.write(t, i%10 == 9)
	}
	r, err := New(st, Config{URL: url, Poll: 20 * time.Millisecond, Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	r.Start(context.Background())
	for i := range 30 {
		w.write(t, i%10 == 9)
		r.Wake()
	}
	counts := w.waitPublished(t, url, r.cfg.Stream, since, 20*time.Second, r)
	if n, err := r.runOnce(context.Background()); n != 0 || err != nil {
		t.Errorf("a round after catching up published %d (%v), want 0", n, err)
	}
	r.Stop()
	w.check(t, counts)
}

// privateNATS runs a nats-server with JetStream on a free port and a data dir of its own, so
// that the test can stop it without touching the shared one.
type privateNATS struct {
	t    *testing.T
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
}

func startPrivateNATS(t *testing.T) *privateNATS {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		bin = "/usr/sbin/nats-server"
		if _, err := os.Stat(bin); err != nil {
			t.Skip("nats-server not installed: cannot run a private server to stop and restart")
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &privateNATS{t: t, bin: bin, port: ln.Addr().(*net.TCPAddr).Port, dir: t.TempDir()}
	ln.Close()
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *privateNATS) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", p.port) }

func (p *privateNATS) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "-a", "127.0.0.1", "-p", fmt.Sprint(p.port), "-js", "-sd", p.dir)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	var err error
	if !testutil.Eventually(0, func() bool {
		var nc *nats.Conn
		if nc, err = nats.Connect(p.url()); err != nil {
			return false
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		_, err = js.AccountInfo(context.Background())
		return err == nil
	}) {
		p.t.Fatalf("private nats-server not ready: %v", err)
	}
}

// stop stops the server (SIGTERM) and waits for it.
func (p *privateNATS) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
	p.cmd = nil
}

// TestNATSOutage: NATS is stopped while events keep being committed and started again
// later; afterwards every committed event is in the stream exactly once and no rolled-back
// one is. Two relays (two instances) run on the same outbox the whole time.
func TestNATSOutage(t *testing.T) {
	natsURL(t)
	srv := startPrivateNATS(t)
	st := openStore(t)
	w := &writer{store: st, run: fmt.Sprintf("outage%d", time.Now().UnixNano())}
	var relays []*Relay
	for range 2 {
		r, err := New(st, Config{URL: srv.url(), Poll: 20 * time.Millisecond, Batch: 25, Lease: 2 * time.Second, Timeout: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		r.Start(context.Background())
		relays = append(relays, r)
	}
	burst := func(n int) {
		for i := range n {
			w.write(t, i%7 == 6)
			for _, r := range relays {
				r.Wake()
			}
			time.Sleep(2 * time.Millisecond) // spread the writes over the relays' rounds
		}
	}
	burst(150)
	srv.stop()
	before := len(w.committed)
	burst(150) // committed while NATS is down
	t.Logf("committed while NATS was down: %d", len(w.committed)-before)
	srv.start()
	burst(150)
	counts := w.waitPublished(t, srv.url(), "F2FPAY_EVENTS", time.Time{}, 30*time.Second, relays...)
	for _, r := range relays {
		r.Stop()
	}
	w.check(t, counts)
}
