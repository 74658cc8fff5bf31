package attack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/web"
	"github.com/f2fpay/f2fpay/internal/worker"
)

// inprocAttacks need what a running binary cannot be given: a DNS server that answers what
// the attacker wants, a clock the test moves, a count of database reads. They run the
// same packages the binary wires, in process.
func inprocAttacks() []attack {
	refused := "refused at dial; receiver got 0 POSTs"
	resolving := func(to string) attack {
		return attack{name: "webhook host resolving to " + to + " (test resolver)", target: "webhook", expect: refused,
			run: func(w *world) string {
				h := newHookEnv(w.t, payment.Config{}, nil, func(port string) string { return "http://hooks.attacker.test:" + port + "/hook" })
				dns := fakeDNS{"hooks.attacker.test": {netip.MustParseAddr(to)}}
				return h.deliver(w.t, worker.DispatcherConfig{Resolver: dns})
			}}
	}
	return []attack{
		resolving("127.0.0.1"), resolving("169.254.169.254"), resolving("::ffff:127.0.0.1"), resolving("fd00:ec2::254"),
		{name: "receiver redirects the POST to another loopback receiver", target: "webhook",
			expect: "HTTP 307, not followed; receiver got 1 POST; redirect target got 0", run: redirectWebhook},
		{name: "allow_networks 127.0.0.1/32 opts a receiver in (control)", target: "webhook", expect: "delivered (1 POST)",
			run: func(w *world) string {
				cfg := payment.Config{WebhookAllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
				h := newHookEnv(w.t, cfg, nil, func(port string) string { return "http://127.0.0.1:" + port + "/hook" })
				return h.deliver(w.t, worker.DispatcherConfig{AllowNetworks: cfg.WebhookAllowNetworks})
			}},
		{name: "lockout scenario with an injected clock", target: "console",
			expect: "11th: 303 logged in; locked address: 429 locked at 14m59s, 303 logged in at 15m0s", run: lockoutClock},
		{name: "1000 bad signatures from one source (store reads counted)", target: "merchant",
			expect: "60×401, then 429 before any signature check; client read from the cache, not per request; valid requests 200", run: budgetReads},
		{name: "cashier hit from 100 addresses of one /64", target: "public", expect: "40 admitted, 60×429", run: cashierRotation},
	}
}

// fakeDNS answers every name from a table: the DNS server an attacker controls.
type fakeDNS map[string][]netip.Addr

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func redirectWebhook(w *world) string {
	var inner atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { inner.Add(1) }))
	defer target.Close()
	cfg := payment.Config{WebhookAllowNetworks: payment.LoopbackNetworks()}
	h := newHookEnv(w.t, cfg, http.RedirectHandler(target.URL+"/stolen", http.StatusTemporaryRedirect),
		func(port string) string { return "http://127.0.0.1:" + port + "/hook" })
	got := h.deliver(w.t, worker.DispatcherConfig{AllowNetworks: cfg.WebhookAllowNetworks})
	return fmt.Sprintf("%s; redirect target got %d", got, inner.Load())
}

// stepClock is a clock the test moves.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time            { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration)       { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *stepClock) nowFunc() func() time.Time { return c.Now }

// lockoutClock replays the console scenario on the console package with a clock the test
// moves (and the delays recorded, not waited), to see the lock end exactly.
func lockoutClock(w *world) string {
	env := testenv.New(w.t, testenv.Options{})
	hash, _ := bcrypt.GenerateFromPassword([]byte("operator-pw"), bcrypt.MinCost)
	clk := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	pages, err := web.New(web.Config{Service: env.Service, Notifier: notifier.New(env.Store), AdminPasswordHash: string(hash),
		Clock: clk, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		w.t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	_ = e.SetTrustedProxies([]string{"127.0.0.1"})
	pages.Mount(e)
	srv := httptest.NewServer(e)
	defer srv.Close()
	for i := range 50 {
		consoleLogin(srv.URL, fmt.Sprintf("198.51.100.%d", i%10+1), "wrong-guess")
	}
	eleventh := consoleLogin(srv.URL, "203.0.113.50", "operator-pw")
	clk.add(web.LockoutDuration - time.Second)
	before := consoleLogin(srv.URL, "198.51.100.3", "operator-pw")
	clk.add(time.Second)
	after := consoleLogin(srv.URL, "198.51.100.3", "operator-pw")
	return fmt.Sprintf("11th: %s; locked address: %s at 14m59s, %s at 15m0s", eleventh, before, after)
}

// readCounter counts the client reads of authentication.
type readCounter struct {
	payment.Store
	reads atomic.Int64
}

func (c *readCounter) GetMerchant(ctx context.Context, appID string) (*payment.Merchant, error) {
	c.reads.Add(1)
	return c.Store.GetMerchant(ctx, appID)
}

// apiStack is the merchant API in process over env's service, with the default limits on
// a limiter clock that stands still, believing X-Forwarded-For from 127.0.0.1.
func apiStack(w *world, env *testenv.Env) *httptest.Server {
	clk := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	pol := ratelimit.NewPolicy(ratelimit.NewMemory(clk.nowFunc()), ratelimit.Config{})
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Service: env.Service, Limiter: pol, IPLimiter: pol,
		TrustedProxies: []string{"127.0.0.1"}}))
	w.t.Cleanup(srv.Close)
	return srv
}

func budgetReads(w *world) string {
	rc := &readCounter{}
	env := testenv.New(w.t, testenv.Options{WrapStore: func(s payment.Store) payment.Store { rc.Store = s; return rc }})
	c, secret, err := env.Service.CreateMerchant(context.Background(), "budget", "")
	if err != nil {
		w.t.Fatal(err)
	}
	srv := apiStack(w, env)
	send := func(secret string) int {
		ts, nonce := fmt.Sprint(time.Now().Unix()), client.NewNonce()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+pathList, nil)
		req.Header.Set("X-App-Id", c.AppID)
		req.Header.Set("X-Timestamp", ts)
		req.Header.Set("X-Nonce", nonce)
		req.Header.Set("X-Signature", client.Sign(secret, http.MethodGet, pathList, "", ts, nonce, nil))
		req.Header.Set("X-Forwarded-For", "198.51.100.99")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	validOK := send(secret) == http.StatusOK
	start, valid, count := rc.reads.Load(), int64(0), map[int]int{}
	for i := range 1000 {
		count[send("sk_forged")]++
		if i%100 == 99 {
			validOK = send(secret) == http.StatusOK && validOK
			valid++
		}
	}
	// The client's row comes from the service's cache (payment/merchantcache.go): the flood
	// reads it at most once per valid request (an entry expiring on a slow machine), never
	// once per forged request.
	reads := rc.reads.Load() - start
	w.t.Logf("1000 bad signatures from one source: %v, %d client reads during the flood (%d valid requests), valid requests all 200: %v", count, reads, valid, validOK)
	if count[http.StatusUnauthorized] != 60 || count[http.StatusTooManyRequests] != 940 || reads > valid || !validOK {
		return fmt.Sprintf("%v, %d reads, valid ok %v", count, reads, validOK)
	}
	return "60×401, then 429 before any signature check; client read from the cache, not per request; valid requests 200"
}

func cashierRotation(w *world) string {
	srv := apiStack(w, testenv.New(w.t, testenv.Options{}))
	count := map[int]int{}
	for i := range 100 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/pay/sometoken", nil)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("2001:db8:99:1:%x::%x", i, i+1))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err.Error()
		}
		resp.Body.Close()
		count[resp.StatusCode]++
	}
	return fmt.Sprintf("%d admitted, %d×429", 100-count[http.StatusTooManyRequests], count[http.StatusTooManyRequests])
}
