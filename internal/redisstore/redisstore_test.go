package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/redisstore"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// redisURL returns F2FPAY_TEST_REDIS_URL or skips the test, saying how to enable it.
func redisURL(t *testing.T) string {
	t.Helper()
	v := os.Getenv("F2FPAY_TEST_REDIS_URL")
	if v == "" {
		t.Skip("Redis tests skipped: set F2FPAY_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0 (.ci/run does)")
	}
	return v
}

// open returns a Store with a key prefix of its own, so that tests and runs never share keys.
func open(t *testing.T, url, prefix string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(context.Background(), url, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func uniquePrefix(t *testing.T) string {
	return fmt.Sprintf("f2fpay-test:%s:%d:%d:", t.Name(), os.Getpid(), time.Now().UnixNano())
}

// TestNonceAcrossInstances: a nonce used through one Store (instance A) is refused through
// another (instance B) until it expires; concurrent uses let exactly one through.
func TestNonceAcrossInstances(t *testing.T) {
	url := redisURL(t)
	prefix := uniquePrefix(t)
	a, b := open(t, url, prefix), open(t, url, prefix)
	ctx := context.Background()
	now := time.Now()
	if err := a.UseNonce(ctx, "app_1", "nonce-0123456789ab", now, now.Add(payment.NonceWindow)); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := b.UseNonce(ctx, "app_1", "nonce-0123456789ab", now, now.Add(payment.NonceWindow)); !errors.Is(err, payment.ErrDuplicate) {
		t.Fatalf("replay on instance B: %v, want ErrDuplicate", err)
	}
	if err := b.UseNonce(ctx, "app_2", "nonce-0123456789ab", now, now.Add(payment.NonceWindow)); err != nil {
		t.Fatalf("same nonce of another app: %v", err)
	}
	raw, err := redis.DialURL(url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ms, err := redis.Int64(raw.Do("PTTL", prefix+"nonce:app_1:nonce-0123456789ab"))
	ttl := time.Duration(ms) * time.Millisecond
	if err != nil || ttl <= payment.NonceWindow-time.Minute || ttl > payment.NonceWindow {
		t.Fatalf("nonce TTL %v, %v; want about %v", ttl, err, payment.NonceWindow)
	}

	var passed atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			err := s.UseNonce(ctx, "app_1", "raced-nonce-0001", now, now.Add(time.Minute))
			if err == nil {
				passed.Add(1)
			} else if !errors.Is(err, payment.ErrDuplicate) {
				t.Errorf("raced use: %v", err)
			}
		}()
	}
	wg.Wait()
	if passed.Load() != 1 {
		t.Fatalf("%d of 20 concurrent uses of one nonce passed, want 1", passed.Load())
	}
}

// TestRateLimitAcrossInstances: a client sending at twice its rate through two Stores gets
// about its rate in total, and a refused request is told how long to wait.
func TestRateLimitAcrossInstances(t *testing.T) {
	url := redisURL(t)
	prefix := uniquePrefix(t)
	a, b := open(t, url, prefix), open(t, url, prefix)
	ctx := context.Background()
	// Half a second of burst banks what a scheduling stall of a loaded machine would lose;
	// limits kept per instance would still admit twice the total.
	l := ratelimit.Limit{Rate: 100, Burst: 50}
	const d = 1500 * time.Millisecond
	var allowed, refused atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, s := range []*redisstore.Store{a, b} {
		wg.Add(1)
		go func() { // each instance sends at the client's full rate: 2× in all
			defer wg.Done()
			tick := time.NewTicker(time.Second / time.Duration(l.Rate))
			defer tick.Stop()
			for time.Since(start) < d {
				<-tick.C
				ok, wait, err := s.Allow(ctx, "client:app_x", l)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					allowed.Add(1)
				} else {
					refused.Add(1)
					if wait <= 0 || wait > time.Second/time.Duration(l.Rate)+time.Millisecond {
						t.Errorf("refused with wait %v", wait)
					}
				}
			}
		}()
	}
	wg.Wait()
	want := float64(l.Burst) + l.Rate*time.Since(start).Seconds()
	got := float64(allowed.Load())
	t.Logf("allowed %v, refused %d, expected about %.0f", got, refused.Load(), want)
	if got < want*0.85 || got > want*1.15 {
		t.Fatalf("allowed %v across two instances, want %.0f ± 15%%", got, want)
	}
	if ok, _, _ := a.Allow(ctx, "client:app_other", l); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _, _ := a.Allow(ctx, "client:zero", ratelimit.Limit{Rate: 1, Burst: 0}); ok {
		t.Fatal("burst 0 admitted a request")
	}
}

// privateRedis starts a redis-server of the test's own on port (0: a free one) and returns
// its port and a function that kills it; it skips when redis-server is not installed.
func privateRedis(t *testing.T, port int) (int, func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed: cannot run a private Redis to stop")
	}
	if port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	srv := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { _ = srv.Process.Kill(); _ = srv.Wait() }) }
	t.Cleanup(stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if !testutil.Eventually(0, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("private redis-server on %s never listened", addr)
	}
	return port, stop
}

// TestRecoversAfterRestart: after Redis restarts, the connections pooled before it are dead;
// the next requests must still be answered (not refused with 503 until each dead connection
// has failed once).
func TestRecoversAfterRestart(t *testing.T) {
	redisURL(t)
	port, stop := privateRedis(t, 0)
	ctx := context.Background()
	s, err := redisstore.Open(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", port), redisstore.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for i := range 8 { // several connections in the pool
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.UseNonce(ctx, "app_1", fmt.Sprintf("before-restart-%d", i), time.Now(), time.Now().Add(time.Minute)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	stop()
	privateRedis(t, port)
	for i := range 10 {
		if err := s.UseNonce(ctx, "app_1", fmt.Sprintf("after-restart-%d", i), time.Now(), time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("request %d after the restart: %v", i+1, err)
		}
		if ok, _, err := s.Allow(ctx, fmt.Sprintf("client:%d", i), ratelimit.Limit{Rate: 10, Burst: 10}); err != nil || !ok {
			t.Fatalf("rate limit %d after the restart: %v, %v", i+1, ok, err)
		}
	}
}

// TestFailsClosed: with Redis gone, UseNonce errors (not ErrDuplicate, not nil) and the
// Service refuses the request with UPSTREAM_UNAVAILABLE; the limiter reports an error.
func TestFailsClosed(t *testing.T) {
	redisURL(t)
	port, stop := privateRedis(t, 0)
	ctx := context.Background()
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	s, err := redisstore.Open(ctx, url, redisstore.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("private redis-server: %v", err)
	}
	defer s.Close()
	svc := payment.NewService(nil, nil, nil, nil, payment.Config{}, nil)
	svc.SetNonceStore(s)
	if err := svc.UseNonce(ctx, "app_1", "before-the-outage-1"); err != nil {
		t.Fatalf("with Redis up: %v", err)
	}
	stop()
	err = s.UseNonce(ctx, "app_1", "during-the-outage-1", time.Now(), time.Now().Add(time.Minute))
	if err == nil || errors.Is(err, payment.ErrDuplicate) {
		t.Fatalf("UseNonce with Redis down = %v; want an error that is not ErrDuplicate", err)
	}
	if err := svc.UseNonce(ctx, "app_1", "during-the-outage-2"); payment.ErrorCode(err) != payment.CodeUpstreamUnavailable {
		t.Fatalf("Service.UseNonce with Redis down = %v; want UPSTREAM_UNAVAILABLE (fail closed)", err)
	}
	if _, _, err := s.Allow(ctx, "client:a", ratelimit.Limit{Rate: 1, Burst: 1}); err == nil {
		t.Fatal("Allow with Redis down reported no error")
	}
	if _, err := redisstore.Open(ctx, url, redisstore.Options{Timeout: 300 * time.Millisecond}); err == nil {
		t.Fatal("Open of a stopped Redis succeeded")
	}
}
