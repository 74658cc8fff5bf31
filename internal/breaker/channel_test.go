package breaker

// Unit tests of the decorator's classification, over a fake payment.Channel (the real
// channel and the sandbox are in breaker_sandbox_test.go).

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// fake is a payment.Channel whose every call to "Alipay" runs answer (nil: success).
type fake struct {
	mu     sync.Mutex
	calls  map[string]int
	answer func(method string) error
}

func (f *fake) hit(method string) error {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[method]++
	answer := f.answer
	f.mu.Unlock()
	if answer == nil {
		return nil
	}
	return answer(method)
}

func (f *fake) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fake) setAnswer(a func(string) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = a
}

func (f *fake) Precreate(context.Context, payment.PrecreateRequest) (string, error) {
	return "qr", f.hit("Precreate")
}
func (f *fake) Query(context.Context, string) (*payment.Trade, error) {
	return &payment.Trade{}, f.hit("Query")
}
func (f *fake) Refund(context.Context, payment.RefundRequest) (*payment.RefundResult, error) {
	return &payment.RefundResult{}, f.hit("Refund")
}
func (f *fake) RefundQuery(context.Context, string, string) (*payment.RefundResult, error) {
	return &payment.RefundResult{}, f.hit("RefundQuery")
}
func (f *fake) Close(context.Context, string) error { return f.hit("Close") }
func (f *fake) VerifyNotification(url.Values) (*payment.Notification, error) {
	return &payment.Notification{}, f.hit("VerifyNotification")
}
func (f *fake) AppID() string    { f.hit("AppID"); return "app" }
func (f *fake) SellerID() string { f.hit("SellerID"); return "seller" }

var (
	unknown  = payment.Errorf(payment.CodeUpstreamUnavailable, "alipay did not answer in time")
	rejected = &payment.Error{Code: payment.CodeUpstreamRejected, Message: "refused", AlipayCode: "40004", AlipaySubCode: "ACQ.TRADE_STATUS_ERROR"}
)

func always(err error) func(string) error { return func(string) error { return err } }

func newTestBreaker(t *testing.T, f *fake, cfg Config) *Channel {
	t.Helper()
	c, err := New(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// invoke calls method on c by reflection with a background context and zero arguments,
// and returns its error result (nil for methods without one).
func invoke(c *Channel, method string) error {
	m := reflect.ValueOf(c).MethodByName(method)
	ctxType := reflect.TypeFor[context.Context]()
	args := make([]reflect.Value, m.Type().NumIn())
	for i := range args {
		if in := m.Type().In(i); in == ctxType {
			args[i] = reflect.ValueOf(context.Background())
		} else {
			args[i] = reflect.Zero(in)
		}
	}
	out := m.Call(args)
	if last := out[len(out)-1]; last.Type() == reflect.TypeFor[error]() && !last.IsNil() {
		return last.Interface().(error)
	}
	return nil
}

// TestEveryMethodClassified: the table names each method of the port, and only those.
func TestEveryMethodClassified(t *testing.T) {
	port := reflect.TypeFor[payment.Channel]()
	for i := range port.NumMethod() {
		name := port.Method(i).Name
		if k := kinds[name]; k == unclassified {
			t.Errorf("payment.Channel.%s is not classified in kinds (newMoney, settling or local)", name)
		}
	}
	for name := range kinds {
		if _, ok := port.MethodByName(name); !ok {
			t.Errorf("kinds names %s, which payment.Channel lacks", name)
		}
	}
	// The decisions of docs/decisions.md ("Circuit breaker"), spelt out once more.
	for name, want := range map[string]kind{"Precreate": newMoney, "Refund": newMoney,
		"Query": settling, "RefundQuery": settling, "Close": settling} {
		if kinds[name] != want {
			t.Errorf("%s is classified %d, docs/decisions.md says %d", name, kinds[name], want)
		}
	}
}

// TestOpenRefusesOnlyNewMoney opens the breaker, then calls every method of the port: new
// money movements fail fast without reaching the channel, with UPSTREAM_UNAVAILABLE and a
// Retry-After of the open period; settling and local calls reach it.
func TestOpenRefusesOnlyNewMoney(t *testing.T) {
	f := &fake{answer: always(unknown)}
	c := newTestBreaker(t, f, Config{Failures: 2, OpenFor: time.Hour})
	if err := c.AdmitNew(); err != nil {
		t.Fatalf("AdmitNew while closed: %v", err)
	}
	for range 2 {
		if err := invoke(c, "Precreate"); payment.ErrorCode(err) != payment.CodeUpstreamUnavailable {
			t.Fatalf("precreate: %v", err)
		}
	}
	if c.State() != Open {
		t.Fatalf("state %s after 2 unknown outcomes, want open", c.State())
	}
	var pe *payment.Error
	if err := c.AdmitNew(); !errors.As(err, &pe) || pe.Code != payment.CodeUpstreamUnavailable || pe.RetryAfter <= 59*time.Minute {
		t.Fatalf("AdmitNew while open: %v, want UPSTREAM_UNAVAILABLE for the rest of the hour", err)
	}
	port := reflect.TypeFor[payment.Channel]()
	for i := range port.NumMethod() {
		name := port.Method(i).Name
		before := f.count(name)
		err := invoke(c, name)
		reached := f.count(name) > before
		switch kinds[name] {
		case newMoney:
			var pe *payment.Error
			if reached || !errors.As(err, &pe) || pe.Code != payment.CodeUpstreamUnavailable {
				t.Errorf("%s while open: reached=%v err=%v; want a fail-fast UPSTREAM_UNAVAILABLE", name, reached, err)
				continue
			}
			if pe.RetryAfter <= 59*time.Minute || pe.RetryAfter > time.Hour {
				t.Errorf("%s while open: RetryAfter %s, want the rest of the 1 h open period", name, pe.RetryAfter)
			}
		case settling, local:
			if !reached {
				t.Errorf("%s while open did not reach the channel", name)
			}
			if kinds[name] == settling && !errors.Is(err, unknown) {
				t.Errorf("%s while open: err %v, want the channel's own", name, err)
			}
		}
	}
}

// TestWhatOpensIt: only unknown outcomes count, and only in a row; business refusals,
// caller errors and a caller hanging up never open the breaker.
func TestWhatOpensIt(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	cases := []struct {
		name  string
		ctx   context.Context
		err   error
		opens bool
	}{
		{"success", context.Background(), nil, false},
		{"business refusal", context.Background(), rejected, false},
		{"unknown outcome", context.Background(), unknown, true},
		{"signature failure (unknown)", context.Background(), payment.Errorf(payment.CodeUpstreamUnavailable, "alipay response signature invalid"), true},
		{"unknown, caller hung up", canceled, unknown, false},
		{"unknown, caller's deadline passed", expired, unknown, true},
		{"caller error", context.Background(), payment.Errorf(payment.CodeInvalidParameter, "bad"), false},
		{"uncoded error", context.Background(), errors.New("boom"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{answer: always(tc.err)}
			c := newTestBreaker(t, f, Config{Failures: 3, OpenFor: time.Hour})
			for range 3 {
				if _, err := c.Query(tc.ctx, "o1"); !errors.Is(err, tc.err) {
					t.Fatalf("query: %v, want the channel's %v", err, tc.err)
				}
			}
			if got := c.State() == Open; got != tc.opens {
				t.Fatalf("after 3 calls: state %s, want open=%v", c.State(), tc.opens)
			}
		})
	}
}

// TestAnAnswerBreaksTheRun: a business refusal between unknown outcomes starts the count
// again, since Alipay did answer.
func TestAnAnswerBreaksTheRun(t *testing.T) {
	f := &fake{}
	c := newTestBreaker(t, f, Config{Failures: 3, OpenFor: time.Hour})
	for _, err := range []error{unknown, unknown, rejected, unknown, unknown} {
		f.setAnswer(always(err))
		_, _ = c.Precreate(context.Background(), payment.PrecreateRequest{})
	}
	if c.State() != Closed {
		t.Fatalf("state %s, want closed: no 3 unknown outcomes in a row", c.State())
	}
	_ = c.Close(context.Background(), "o1")
	if c.State() != Open {
		t.Fatalf("state %s after the 3rd unknown outcome in a row (a settling close), want open", c.State())
	}
}

// TestPanicFreesTheProbe: a call that panics in half-open gives its probe slot back, so the
// breaker does not stay half-open with every new payment refused.
func TestPanicFreesTheProbe(t *testing.T) {
	f := &fake{answer: always(unknown)}
	c := newTestBreaker(t, f, Config{Failures: 1, OpenFor: time.Millisecond, Probes: 1})
	_, _ = c.Query(context.Background(), "o1")
	waitState(t, c, HalfOpen)
	f.setAnswer(func(string) error { panic("channel bug") })
	func() {
		defer func() { _ = recover() }()
		_, _ = c.Query(context.Background(), "o1")
	}()
	f.setAnswer(nil)
	if _, err := c.Precreate(context.Background(), payment.PrecreateRequest{}); err != nil {
		t.Fatalf("precreate after a panicking probe: %v", err)
	}
	if c.State() != Closed {
		t.Fatalf("state %s, want closed after the probe succeeded", c.State())
	}
}
