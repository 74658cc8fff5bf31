package breaker_test

// Helpers of the breaker's tests on the real stack (breaker_sandbox_test.go) and of its
// benchmark (breaker_bench_test.go).

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/breaker"
	"github.com/f2fpay/f2fpay/internal/metrics"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

const (
	methodPrecreate = "alipay.trade.precreate"
	failures        = 3
	openFor         = 3 * time.Second // long enough that the checks made while open end inside it
)

// gatewayCounter sits between the breaker and the real channel and counts, by method, the
// calls that go on to the sandbox's gateway.do: one HTTP request each.
type gatewayCounter struct {
	payment.Channel
	mu    sync.Mutex
	calls map[string]int
}

func (g *gatewayCounter) add(m string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls[m]++
}

func (g *gatewayCounter) snapshot() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]int{}
	for k, v := range g.calls {
		out[k] = v
	}
	return out
}

func (g *gatewayCounter) total() (n int) {
	for _, v := range g.snapshot() {
		n += v
	}
	return n
}

func (g *gatewayCounter) Precreate(ctx context.Context, r payment.PrecreateRequest) (string, error) {
	g.add("precreate")
	return g.Channel.Precreate(ctx, r)
}
func (g *gatewayCounter) Query(ctx context.Context, no string) (*payment.Trade, error) {
	g.add("query")
	return g.Channel.Query(ctx, no)
}
func (g *gatewayCounter) Refund(ctx context.Context, r payment.RefundRequest) (*payment.RefundResult, error) {
	g.add("refund")
	return g.Channel.Refund(ctx, r)
}
func (g *gatewayCounter) RefundQuery(ctx context.Context, no, rno string) (*payment.RefundResult, error) {
	g.add("refund_query")
	return g.Channel.RefundQuery(ctx, no, rno)
}
func (g *gatewayCounter) Close(ctx context.Context, no string) error {
	g.add("close")
	return g.Channel.Close(ctx, no)
}

// transitionLog records the breaker's transitions as "from>to".
type transitionLog struct {
	mu   sync.Mutex
	list []string
}

func (l *transitionLog) add(from, to breaker.State) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, from.String()+">"+to.String())
}

func (l *transitionLog) count(s string) (n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.list {
		if x == s {
			n++
		}
	}
	return n
}

func (l *transitionLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.list, ", ")
}

// stack is testenv's gateway with the breaker between the Service and the counted channel,
// its transitions fed to a real metrics registry as internal/app wires them.
type stack struct {
	*testenv.Env
	br       *breaker.Channel
	gw       *gatewayCounter
	trans    *transitionLog
	met      *metrics.Metrics
	clientID string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{trans: &transitionLog{}, met: metrics.New(nil, nil)}
	s.Env = testenv.New(t, testenv.Options{ChannelTimeout: 3 * time.Second, Config: payment.Config{ConfirmWithQuery: true},
		WrapChannel: func(ch payment.Channel) payment.Channel {
			s.gw = &gatewayCounter{Channel: ch, calls: map[string]int{}}
			var err error
			s.br, err = breaker.New(s.gw, breaker.Config{Failures: failures, OpenFor: openFor, Probes: 2,
				OnStateChange: func(from, to breaker.State) {
					s.met.SetAlipayBreakerState(int(to))
					s.trans.add(from, to)
				}})
			if err != nil {
				t.Fatal(err)
			}
			return s.br
		}})
	c, _, err := s.Service.CreateMerchant(t.Context(), "breaker", "")
	if err != nil {
		t.Fatal(err)
	}
	s.clientID = c.AppID
	return s
}

func (s *stack) create(t *testing.T, no string) (*payment.Order, error) {
	t.Helper()
	o, _, err := s.Service.Create(t.Context(), s.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 1234, Subject: "breaker " + no})
	return o, err
}

func (s *stack) order(t *testing.T, no string) *payment.Order {
	t.Helper()
	o, err := s.Store.GetOrder(t.Context(), no)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (s *stack) pay(t *testing.T, no string) {
	t.Helper()
	if _, err := s.Sandbox.Pay(s.AppID, no, sandbox.OutcomeSuccess); err != nil {
		t.Fatalf("sandbox pay %s: %v", no, err)
	}
	testutil.WaitFor(t, 0, no+" recorded paid from the notification", func() bool { return s.order(t, no).Status == payment.StatusPaid })
}

func (s *stack) gauge(t *testing.T) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.met.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "f2fpay_alipay_breaker_state ") {
			return strings.TrimPrefix(l, "f2fpay_alipay_breaker_state ")
		}
	}
	t.Fatal("no f2fpay_alipay_breaker_state in the scrape")
	return ""
}

func wantUnavailable(t *testing.T, what string, err error) *payment.Error {
	t.Helper()
	var pe *payment.Error
	if !errors.As(err, &pe) || pe.Code != payment.CodeUpstreamUnavailable {
		t.Fatalf("%s: %v, want UPSTREAM_UNAVAILABLE", what, err)
	}
	return pe
}

// sandboxTrades lists the app's trades through the sandbox's inspection API.
func sandboxTrades(t *testing.T, s *stack) []sandbox.Trade {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Sandbox.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sandbox/api/trades?app_id="+s.AppID, nil))
	var out struct{ Trades []sandbox.Trade }
	if err := json.NewDecoder(rec.Body).Decode(&out); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET /sandbox/api/trades: %d %v", rec.Code, err)
	}
	return out.Trades
}

func sum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}
