package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestTwoInstances (docs/deploy.md, What keeps N instances correct): two f2fpay serve processes on one PostgreSQL and one Redis
// take 500 orders alternately, paid, a fifth refunded in full and a fifth in part (through
// the other instance), while instance B is SIGKILLed mid-run and restarted. Afterwards every
// order agrees with the sandbox, every event reached the receiver and no event id was ever
// delivered twice at once; a nonce used on A is refused on B; a client sending at twice its
// rate over both instances gets its rate; with NATS, every event is in the stream once.
func TestTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("two-instance test: skipped in -short")
	}
	c := newCluster(t, 2, "F2FPAY_RATE_LIMIT_CLIENT_RATE=5000", "F2FPAY_RATE_LIMIT_CLIENT_BURST=5000", "F2FPAY_RATE_LIMIT_IP_RATE=-1")
	appID, secret := c.createClient("scale")
	for _, n := range c.nodes {
		if err := c.start(n); err != nil {
			t.Fatal(err)
		}
	}
	started := time.Now().Add(-time.Second)
	a, b := c.nodes[0], c.nodes[1]
	clients := []*client.Client{c.client(a, appID, secret), c.client(b, appID, secret)}
	checkNonceAcross(t, a, b, appID, secret)

	const orders, workers = 500, 8
	ctx := withTimeout(t, 4*time.Minute)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < orders; i = int(next.Add(1) - 1) {
				if err := c.order(ctx, clients[i%2], clients[(i+1)%2], i); err != nil {
					errs <- err
					return
				}
				done.Add(1)
			}
		}()
	}
	testutil.Until(ctx, func() bool { return done.Load() >= orders/3 })
	c.kill(b) // mid-run: its in-flight requests, claims and leases die with it
	killedAt := done.Load()
	time.Sleep(1500 * time.Millisecond)
	if err := c.start(b); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("load: %v", err)
	}
	x := c.settleScale(t, clients[0], orders, 90*time.Second)
	t.Logf("B SIGKILLed after %d of %d orders and restarted\n%s", killedAt, orders, x)
	if !x.ok() {
		t.Fatalf("the instances disagree with the sandbox or the receiver:\n%s\nlog A:\n%s\nlog B:\n%s", x, c.logTail(a), c.logTail(b))
	}
	if c.natsURL != "" {
		c.checkNATS(t, x.eventIDs, started)
	}
	c.checkRateLimit(t, a, b)
}

// order creates order i through one instance, has the buyer pay, and for i%5 == 0 (full)
// or 1 (0.30) refunds it through the other, repeating each call while an instance is down
// or the payment not yet recorded.
func (c *cluster) order(ctx context.Context, via, other *client.Client, i int) error {
	no := fmt.Sprintf("two_%03d", i)
	retry := func(what string, fn func() error) error {
		permanent := func(err error) bool {
			var ce *client.Error
			return errors.As(err, &ce) && !ce.Temporary() && ce.Code != client.CodeUnprocessable
		}
		var err error
		testutil.Until(ctx, func() bool { err = fn(); return err == nil || permanent(err) })
		if permanent(err) {
			return fmt.Errorf("%s %s: %w", what, no, err)
		}
		return err
	}
	err := retry("create", func() error {
		_, _, err := via.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: "0.99", Subject: "two " + no, TimeoutMinutes: 120})
		return err
	})
	if err != nil {
		return err
	}
	if _, err := c.sb.Pay(c.appID, no, sandbox.OutcomeSuccess); err != nil {
		return err
	}
	amount := map[int]string{0: "0.99", 1: "0.30"}[i%5]
	if amount == "" {
		return nil
	}
	return retry("refund", func() error {
		_, err := other.Refund(ctx, client.RefundRequest{OutTradeNo: no, RefundNo: "rf-" + no, RefundAmount: amount})
		return err
	})
}

// checkNonceAcross sends one signed request to A and the very same bytes to B.
func checkNonceAcross(t *testing.T, a, b *node, appID, secret string) {
	t.Helper()
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), client.NewNonce()
	send := func(n *node) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, n.baseURL+"/api/v1/payment/list?limit=1", nil)
		req.Header.Set("X-App-Id", appID)
		req.Header.Set("X-Timestamp", ts)
		req.Header.Set("X-Nonce", nonce)
		req.Header.Set("X-Signature", client.Sign(secret, "GET", "/api/v1/payment/list", "limit=1", ts, nonce, nil))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	if got, body := send(a); got != http.StatusOK {
		t.Fatalf("first use of the nonce on A: HTTP %d %s, want 200", got, body)
	}
	got, body := send(b)
	if got != http.StatusUnauthorized || !strings.Contains(body, "nonce") {
		t.Fatalf("the same request replayed on B: HTTP %d %s, want 401 (nonce already used)", got, body)
	}
	t.Logf("nonce used on A, replayed on B: 200 then 401 %s", body)
}

// checkRateLimit: a client limited to 20/s (burst 20) sends 40/s for 5 s, half to each
// instance; the total admitted must be about 20/s × 5 s + 20, within 15 %. Limits kept per
// instance would admit twice that. The burst of one second lets the bucket bank what a
// scheduling stall of a loaded CI machine would otherwise lose, without hiding a
// per-instance limiter.
func (c *cluster) checkRateLimit(t *testing.T, a, b *node) {
	t.Helper()
	appID, secret := c.createClient("limited")
	const rate, burst, seconds = 20, 20, 5
	conn, err := pgx.Connect(context.Background(), c.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), `UPDATE `+pgx.Identifier{c.schema, "clients"}.Sanitize()+
		` SET rate_limit = $1, rate_burst = $2 WHERE app_id = $3`, rate, burst, appID)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx := withTimeout(t, time.Minute)
	var ok, limited, other atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, n := range []*node{a, b} {
		cl := c.client(n, appID, secret)
		wg.Add(1)
		go func() { // each instance gets the full rate: twice the limit in all
			defer wg.Done()
			tick := time.NewTicker(time.Second / rate)
			defer tick.Stop()
			var inner sync.WaitGroup
			for time.Since(start) < seconds*time.Second {
				<-tick.C
				inner.Add(1)
				go func() {
					defer inner.Done()
					_, err := cl.List(ctx, client.ListOptions{Limit: 1})
					switch {
					case err == nil:
						ok.Add(1)
					case client.ErrorCode(err) == client.CodeRateLimited:
						limited.Add(1)
					default:
						other.Add(1)
					}
				}()
			}
			inner.Wait()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	want := burst + rate*elapsed
	got := float64(ok.Load())
	t.Logf("rate limit %d/s burst %d, sent at 2x over two instances for %.1f s: %v admitted, %d limited (expected %.0f, %+.1f%%)",
		rate, burst, elapsed, got, limited.Load(), want, 100*(got-want)/want)
	if other.Load() > 0 || math.Abs(got-want) > 0.15*want {
		t.Fatalf("admitted %v (other errors %d), want %.0f ± 15%%", got, other.Load(), want)
	}
}

// checkNATS: every event the gateway listed is in the JetStream stream exactly once.
func (c *cluster) checkNATS(t *testing.T, ids []string, since time.Time) {
	t.Helper()
	var counts map[string]int
	testutil.Eventually(0, func() bool {
		counts = streamMsgIDs(t, c.natsURL, since)
		for _, id := range ids {
			if counts[id] == 0 {
				return false
			}
		}
		return true
	})
	once, missing, more := 0, 0, 0
	for _, id := range ids {
		switch counts[id] {
		case 0:
			missing++
		case 1:
			once++
		default:
			more++
		}
	}
	t.Logf("NATS: %d events listed; in the stream once %d, missing %d, more than once %d", len(ids), once, missing, more)
	if missing > 0 || more > 0 {
		t.Fatalf("JetStream disagrees with the outbox: %d missing, %d more than once", missing, more)
	}
}

// streamMsgIDs counts the messages of F2FPAY_EVENTS stored since a time by message id.
func streamMsgIDs(t *testing.T, url string, since time.Time) map[string]int {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "F2FPAY_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return counts // no more messages (timeout)
		}
		counts[m.Headers().Get(jetstream.MsgIDHeader)]++
		if md, _ := m.Metadata(); md != nil && md.NumPending == 0 {
			return counts
		}
	}
}
