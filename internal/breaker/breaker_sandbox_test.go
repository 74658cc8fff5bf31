package breaker_test

// The breaker in the real stack (internal/testenv: SQLite, the smartwalle SDK channel, the
// sandbox as Alipay, payment.Service with its notify endpoint), driven by the sandbox's
// fault knobs. Run with -v to see the figures it prints.

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/breaker"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestBreakerWithSandbox: unknown precreates (20000/ACQ.SYSTEM_ERROR, then a timeout) open
// the breaker after `failures` in a row, business refusals never do; while open a create
// fails fast without any call to the sandbox, and a refund is refused, while queries,
// notifications and a close of existing orders still reach it; once the faults are gone and
// the open period is over, it probes and closes; and no order is lost or doubled.
func TestBreakerWithSandbox(t *testing.T) {
	s := newStack(t)
	if g := s.gauge(t); g != "0" {
		t.Fatalf("gauge %s at start, want 0", g)
	}
	// Healthy: o1 paid, o2 and o7 waiting for the buyer. Business refusals (close of a paid
	// trade: ACQ.TRADE_STATUS_ERROR) are answers and leave the breaker closed.
	for _, no := range []string{"o1", "o2", "o7"} {
		if _, err := s.create(t, no); err != nil {
			t.Fatalf("create %s: %v", no, err)
		}
	}
	s.pay(t, "o1")
	for range failures + 1 {
		if err := s.br.Close(t.Context(), "o1"); payment.ErrorCode(err) != payment.CodeUpstreamRejected {
			t.Fatalf("close of a paid trade: %v, want UPSTREAM_REJECTED", err)
		}
	}
	if st := s.br.State(); st != breaker.Closed {
		t.Fatalf("state %s after %d business refusals, want closed", st, failures+1)
	}

	// Unknown outcomes of precreate only: two system errors, then a timeout (which the
	// sandbox carries out before it hangs) opens it.
	s.Sandbox.SetFaults(sandbox.Faults{Seed: 7, GatewaySystemError: 1, Methods: []string{methodPrecreate}})
	for _, no := range []string{"o3", "o4"} {
		_, err := s.create(t, no)
		wantUnavailable(t, "create "+no+" under gateway_system_error", err)
	}
	if st := s.br.State(); st != breaker.Closed {
		t.Fatalf("state %s after %d unknown outcomes, want closed until %d", st, failures-1, failures)
	}
	s.Sandbox.SetFaults(sandbox.Faults{Seed: 7, GatewayTimeout: 1, Methods: []string{methodPrecreate}})
	_, err := s.create(t, "o5")
	wantUnavailable(t, "create o5 under gateway_timeout", err)
	if st := s.br.State(); st != breaker.Open {
		t.Fatalf("state %s after %d unknown outcomes in a row, want open", st, failures)
	}
	if g := s.gauge(t); g != "2" {
		t.Fatalf("gauge %s while open, want 2", g)
	}
	checkWhileOpen(t, s)

	// Recovery: faults off; the timer makes it half-open after the open period, and the
	// merchants' repeated creates (identical parameters) are the probes that close it.
	s.Sandbox.ClearFaults()
	testutil.WaitFor(t, 0, "half-open after the open period", func() bool { return s.trans.count("open>half-open") == 1 })
	for _, no := range []string{"o3", "o4", "o5", "o6"} {
		if o, err := s.create(t, no); err != nil || o.QRCode == "" {
			t.Fatalf("create %s after recovery: %v", no, err)
		}
	}
	if st := s.br.State(); st != breaker.Closed {
		t.Fatalf("state %s after successful probes, want closed (transitions: %s)", st, s.trans)
	}
	if g := s.gauge(t); g != "0" {
		t.Fatalf("gauge %s once closed, want 0", g)
	}
	if r, err := s.Service.Refund(t.Context(), s.clientID, payment.RefundInput{OutTradeNo: "o1", RefundNo: "r1", Amount: 1234}); err != nil || r.Status != payment.RefundSucceeded {
		t.Fatalf("refund repeated after recovery: %+v, %v", r, err)
	}
	for _, no := range []string{"o3", "o4", "o5", "o6"} {
		s.pay(t, no)
	}
	checkBooks(t, s)
	t.Logf("breaker: transitions %s; opened %d, closed %d; gateway calls by method %v",
		s.trans, s.trans.count("closed>open")+s.trans.count("half-open>open"), s.trans.count("half-open>closed"), s.gw.snapshot())
	if n := s.trans.count("closed>open") + s.trans.count("half-open>open"); n != 1 {
		t.Errorf("opened %d times, want 1 (transitions: %s)", n, s.trans)
	}
}

// checkWhileOpen: a create fails fast with no call to the sandbox; a refund is refused;
// settling calls (query, the notification's confirming query, close) reach the sandbox.
func checkWhileOpen(t *testing.T, s *stack) {
	t.Helper()
	before := s.gw.snapshot()
	start := time.Now()
	_, err := s.create(t, "o6")
	took := time.Since(start)
	pe := wantUnavailable(t, "create o6 while open", err)
	t.Logf("breaker: fail-fast create while open took %s (Service.Create: order lookup, then refused)", took)
	if _, err := s.Store.GetOrder(t.Context(), "o6"); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("the refused create left an order behind: %v", err)
	}
	if s.gw.total() != sum(before) {
		t.Fatalf("the create while open reached the gateway: calls %v, before %v", s.gw.snapshot(), before)
	}
	if _, ok := s.Sandbox.Trade(s.AppID, "o6"); ok {
		t.Fatal("the sandbox has a trade o6: the create while open reached it")
	}
	if pe.RetryAfter <= 0 || pe.RetryAfter > openFor {
		t.Fatalf("RetryAfter %s, want within the %s open period", pe.RetryAfter, openFor)
	}
	if _, err := s.Service.Sync(t.Context(), "o2"); err != nil {
		t.Fatalf("query of o2 while open: %v", err)
	}
	s.pay(t, "o2") // the notification is confirmed by a query, which must go through
	if _, err := s.Service.Close(t.Context(), s.clientID, "o7"); err != nil {
		t.Fatalf("close of o7 while open: %v", err)
	}
	_, err = s.Service.Refund(t.Context(), s.clientID, payment.RefundInput{OutTradeNo: "o1", RefundNo: "r1", Amount: 1234})
	wantUnavailable(t, "refund while open", err)
	after := s.gw.snapshot()
	if after["query"] < before["query"]+2 || after["close"] != before["close"]+1 || after["refund"] != before["refund"] {
		t.Fatalf("gateway calls while open %v (before %v): want queries and the close through, no refund", after, before)
	}
	if st := s.br.State(); st != breaker.Open {
		t.Fatalf("state %s after the checks made while open; the open period (%s) was too short for this machine", st, openFor)
	}
}

// checkBooks: every order's state equals its sandbox trade's, the sandbox holds each trade
// once, and each order has each of its events exactly once.
func checkBooks(t *testing.T, s *stack) {
	t.Helper()
	// o7 was closed before a buyer scanned it: Alipay's cancel leaves no trade state, only
	// a dead QR (the sandbox's Status stays empty).
	want := map[string]struct {
		status payment.Status
		trade  string
		events []string
	}{
		"o1": {payment.StatusRefunded, sandbox.StatusTradeClosed, []string{payment.EventPaymentSucceeded, payment.EventRefundSucceeded}},
		"o7": {payment.StatusClosed, "", []string{payment.EventPaymentClosed}},
	}
	for _, no := range []string{"o2", "o3", "o4", "o5", "o6"} {
		want[no] = struct {
			status payment.Status
			trade  string
			events []string
		}{payment.StatusPaid, sandbox.StatusTradeSuccess, []string{payment.EventPaymentSucceeded}}
	}
	if trades := sandboxTrades(t, s); len(trades) != len(want) {
		t.Errorf("the sandbox holds %d trades, want %d (one per order): %+v", len(trades), len(want), trades)
	}
	for no, w := range want {
		o := s.order(t, no)
		tr, ok := s.Sandbox.Trade(s.AppID, no)
		if o.Status != w.status || !ok || tr.Status != w.trade || (w.trade == "" && (tr.QRActive || tr.ClosedAt == nil)) {
			t.Errorf("%s: local %s, sandbox %+v; want %s and %s", no, o.Status, tr, w.status, w.trade)
		}
		evs, err := s.Store.ListOrderEvents(t.Context(), no)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Type)
		}
		if fmt.Sprint(got) != fmt.Sprint(w.events) {
			t.Errorf("%s: events %v, want %v exactly once each", no, got, w.events)
		}
	}
}
