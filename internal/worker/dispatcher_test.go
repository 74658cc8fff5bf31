package worker

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// paidEvent creates and pays an order and records the payment (by query), returning the
// payment.succeeded event id.
func (e *env) paidEvent(no string) string {
	e.t.Helper()
	e.create(no)
	e.pay(no)
	if _, err := e.svc.Sync(bg, no); err != nil {
		e.t.Fatal(err)
	}
	return e.eventID(no, payment.EventPaymentSucceeded)
}

func TestDeliverSigned(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	id := e.paidEvent("wh_signed")
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock})
	if n, err := d.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce = %d, %v; want 1 delivery", n, err)
	}
	hits := e.recv.got()
	if len(hits) != 1 {
		t.Fatalf("receiver got %d webhooks, want 1", len(hits))
	}
	h := hits[0]
	if h.ID != id || h.Timestamp != strconv.FormatInt(clock.Now().Unix(), 10) || h.Signature != "v1="+Sign([]byte(e.webhookSecret), h.Timestamp, h.Body) {
		t.Fatalf("headers %+v do not match event %s signed with the client's webhook secret", h, id)
	}
	ev := decodeEvent(t, h.Body)
	ev2, err := e.store.GetEvent(bg, id)
	if err != nil || ev.ID != id || ev.Type != payment.EventPaymentSucceeded || string(ev.Data) != string(ev2.Data) {
		t.Fatalf("body %s, event %+v, %v", h.Body, ev2, err)
	}
	_, del, attempts, err := e.svc.EventDelivery(bg, e.clientID, id)
	if err != nil || del.Status != payment.DeliveryDelivered || del.Attempts != 1 || del.NextAttemptAt != nil || del.DeliveredAt == nil {
		t.Fatalf("delivery %+v, %v", del, err)
	}
	if len(attempts) != 1 || attempts[0].StatusCode != 200 || attempts[0].Error != "" || attempts[0].Response != "answer 200" ||
		attempts[0].URL != e.recv.srv.URL+"/hook" || attempts[0].Attempt != 1 {
		t.Fatalf("attempts %+v", attempts)
	}
	if n, _ := d.runOnce(bg); n != 0 {
		t.Fatalf("second round claimed %d, want 0", n)
	}
}

// TestRetrySchedule: a receiver down for the first 4 attempts gets the event on the 5th,
// and the attempt history follows the schedule.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	e.recv.setStatus(func(n int) int {
		if n <= 4 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	id := e.paidEvent("wh_retry")
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock})
	for i := 0; i < 5; i++ {
		if n, err := d.runOnce(bg); n != 1 || err != nil {
			t.Fatalf("attempt %d: runOnce = %d, %v", i+1, n, err)
		}
		if i < 4 {
			clock.Add(DefaultSchedule[i] - time.Second)
			if n, _ := d.runOnce(bg); n != 0 {
				t.Fatalf("retry %d ran %v early", i+1, time.Second)
			}
			clock.Add(time.Second)
		}
	}
	_, del, attempts, err := e.svc.EventDelivery(bg, "", id)
	if err != nil || del.Status != payment.DeliveryDelivered || del.Attempts != 5 || len(attempts) != 5 {
		t.Fatalf("delivery %+v, %d attempts, %v", del, len(attempts), err)
	}
	for i, a := range attempts {
		want := 503
		if i == 4 {
			want = 204
		}
		if a.StatusCode != want || a.Attempt != i+1 {
			t.Errorf("attempt %d: %+v", i+1, a)
		}
		if i > 0 {
			if gap := a.At.Sub(attempts[i-1].At); gap != DefaultSchedule[i-1] {
				t.Errorf("attempt %d came %v after the previous one, want %v", i+1, gap, DefaultSchedule[i-1])
			}
		}
	}
	if hits := e.recv.got(); len(hits) != 5 || hits[0].ID != id || string(hits[0].Body) != string(hits[4].Body) {
		t.Fatalf("receiver: %d hits; bodies must not change between attempts", len(hits))
	}
}

// TestDeadThenResend: a receiver that never answers 2xx makes the delivery dead after the
// last retry; a resend (another client cannot) delivers it once the receiver is back.
func TestDeadThenResend(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	e.recv.setStatus(func(int) int { return http.StatusInternalServerError })
	id := e.paidEvent("wh_dead")
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock})
	for i := 0; i <= len(DefaultSchedule); i++ {
		if n, _ := d.runOnce(bg); n != 1 {
			t.Fatalf("attempt %d not made", i+1)
		}
		if i < len(DefaultSchedule) {
			clock.Add(DefaultSchedule[i])
		}
	}
	clock.Add(48 * time.Hour)
	if n, _ := d.runOnce(bg); n != 0 {
		t.Fatal("a dead delivery was attempted again")
	}
	_, del, attempts, _ := e.svc.EventDelivery(bg, e.clientID, id)
	if del.Status != payment.DeliveryDead || del.Attempts != 9 || len(attempts) != 9 || del.LastError != "HTTP 500" {
		t.Fatalf("delivery %+v with %d attempts, want dead after 9", del, len(attempts))
	}
	if _, err := e.svc.ResendEvent(bg, "app_other", id); payment.ErrorCode(err) != payment.CodeNotFound {
		t.Fatalf("resend by another client: %v, want NOT_FOUND", err)
	}
	e.recv.setStatus(func(int) int { return http.StatusOK })
	if _, err := e.svc.ResendEvent(bg, e.clientID, id); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.runOnce(bg); n != 1 {
		t.Fatal("resend not delivered")
	}
	_, del, _, _ = e.svc.EventDelivery(bg, e.clientID, id)
	if del.Status != payment.DeliveryDelivered || del.Attempts != 10 || del.Failures != 0 {
		t.Fatalf("after resend: %+v", del)
	}
}

func TestNoEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{noEndpoint: true})
	id := e.paidEvent("wh_none")
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks()})
	if n, _ := d.runOnce(bg); n != 1 {
		t.Fatal("not claimed")
	}
	_, del, attempts, _ := e.svc.EventDelivery(bg, e.clientID, id)
	if del.Status != payment.DeliveryNoEndpoint || del.NextAttemptAt != nil || len(attempts) != 0 {
		t.Fatalf("delivery %+v, %d attempts", del, len(attempts))
	}
	if es, _ := e.svc.Events(bg, e.clientID, 0, 10); len(es) != 1 || es[0].ID != id {
		t.Fatal("the event is no longer listed")
	}
}

// TestTwoDispatchersAndCrashedClaim: two dispatchers on one store deliver every event once;
// a claim whose worker died comes back when its lease ends.
func TestTwoDispatchersAndCrashedClaim(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	var ids []string
	for i := range 12 {
		ids = append(ids, e.paidEvent("wh_two_"+strconv.Itoa(i)))
	}
	crashed, err := e.store.ClaimDeliveries(bg, "crashed-worker", clock.Now(), clock.Now().Add(40*time.Second), 2)
	if err != nil || len(crashed) != 2 {
		t.Fatalf("crash claim: %d, %v", len(crashed), err)
	}
	d1 := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock, Concurrency: 3})
	d2 := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock, Concurrency: 3})
	var wg sync.WaitGroup
	for _, d := range []*Dispatcher{d1, d2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if n, err := d.runOnce(bg); n == 0 || err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := len(e.recv.got()); got != 10 {
		t.Fatalf("delivered %d, want 10 (2 held by the crashed worker's lease)", got)
	}
	clock.Add(40 * time.Second)
	if n, _ := d1.runOnce(bg); n != 2 {
		t.Fatalf("after the lease: %d claimed, want 2", n)
	}
	seen := map[string]int{}
	for _, h := range e.recv.got() {
		seen[h.ID]++
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("event %s delivered %d times", id, seen[id])
		}
	}
}

// TestWakeAndStop: a running dispatcher with a long poll delivers a new event at once, and
// a resend too; Stop returns.
func TestWakeAndStop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Poll: time.Hour})
	d.Start(bg)
	id := e.paidEvent("wh_wake")
	waitFor(t, "webhook after wake-up", func() bool { return len(e.recv.got()) == 1 })
	if _, err := e.svc.ResendEvent(bg, e.clientID, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "webhook after resend", func() bool { return len(e.recv.got()) == 2 })
	d.Stop()
	d.Stop()
}

// TestDeliverTraced: an event remembers the trace of the change that wrote it; its delivery
// is a span in that trace, linked to the dispatcher's pass, and the webhook's traceparent
// names the delivery. A failed attempt is an error span; an idle pass makes no span.
func TestDeliverTraced(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	e.create("wh_traced")
	e.pay("wh_traced")
	ctx, change := tp.Tracer("test").Start(bg, "change")
	if _, err := e.svc.Sync(ctx, "wh_traced"); err != nil {
		t.Fatal(err)
	}
	change.End()
	ev, err := e.store.GetEvent(bg, e.eventID("wh_traced", payment.EventPaymentSucceeded))
	sc := change.SpanContext()
	if err != nil || ev.TraceParent != "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01" {
		t.Fatalf("event traceparent %q, want the change's span %s: %v", ev.TraceParent, sc.SpanID(), err)
	}

	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock, TracerProvider: tp})
	if n, err := d.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce = %d, %v", n, err)
	}
	pass, deliver := spanNamed(t, rec, "webhook.dispatch"), spanNamed(t, rec, "webhook.deliver")
	if deliver.SpanContext().TraceID() != sc.TraceID() || deliver.Parent().SpanID() != sc.SpanID() {
		t.Errorf("delivery in trace %s under %s, want the change's %s/%s", deliver.SpanContext().TraceID(), deliver.Parent().SpanID(), sc.TraceID(), sc.SpanID())
	}
	if l := deliver.Links(); len(l) != 1 || l[0].SpanContext.SpanID() != pass.SpanContext().SpanID() {
		t.Errorf("delivery links %v, want the pass %s", l, pass.SpanContext().SpanID())
	}
	want := map[string]string{"f2fpay.event_id": ev.ID, "f2fpay.attempt": "1", "http.response.status_code": "200",
		"f2fpay.delivery_status": "delivered", "f2fpay.out_trade_no": "wh_traced"}
	if got := spanAttrs(deliver); !mapHas(got, want) || deliver.Status().Code != codes.Unset || spanAttrs(pass)["f2fpay.deliveries"] != "1" {
		t.Errorf("delivery %v %v, pass %v; want %v", got, deliver.Status(), spanAttrs(pass), want)
	}
	dc := deliver.SpanContext()
	if got := e.recv.got()[0].TraceParent; got != "00-"+dc.TraceID().String()+"-"+dc.SpanID().String()+"-01" {
		t.Errorf("webhook traceparent %q, want the delivery's span %s", got, dc.SpanID())
	}

	before := len(rec.Ended())
	if n, _ := d.runOnce(bg); n != 0 || len(rec.Ended()) != before {
		t.Errorf("an idle pass claimed %d and made %d spans", n, len(rec.Ended())-before)
	}
	e.recv.setStatus(func(int) int { return http.StatusServiceUnavailable })
	e.paidEvent("wh_traced_503")
	if n, _ := d.runOnce(bg); n != 1 {
		t.Fatalf("runOnce = %d", n)
	}
	var failed sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "webhook.deliver" && spanAttrs(s)["f2fpay.out_trade_no"] == "wh_traced_503" {
			failed = s
		}
	}
	if failed == nil || failed.Status().Code != codes.Error || spanAttrs(failed)["http.response.status_code"] != "503" ||
		spanAttrs(failed)["f2fpay.delivery_status"] != "pending" {
		t.Fatalf("failed delivery span %v", failed)
	}
	if failed.Parent().IsValid() && failed.Parent().IsRemote() {
		t.Errorf("an event written outside a trace: its delivery is under the pass, not a remote parent")
	}
}

// spanNamed returns the only ended span named name.
func spanNamed(t *testing.T, rec *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans %q, want 1", len(found), name)
	}
	return found[0]
}

func spanAttrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, a := range s.Attributes() {
		m[string(a.Key)] = a.Value.Emit()
	}
	return m
}

func mapHas(got, want map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
