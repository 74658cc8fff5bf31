package worker

import (
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestOnAttempt: every POST is reported by its result: failed while retries remain, dead on
// the last, delivered on a 2xx.
func TestOnAttempt(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	e.recv.setStatus(func(int) int { return http.StatusBadGateway })
	id := e.paidEvent("wh_observed")
	var mu sync.Mutex
	var results []string
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock, Schedule: []time.Duration{time.Minute},
		OnAttempt: func(r string) { mu.Lock(); results = append(results, r); mu.Unlock() }})
	for range 2 {
		if n, err := d.runOnce(bg); n != 1 || err != nil {
			t.Fatalf("runOnce = %d, %v", n, err)
		}
		clock.Add(time.Minute)
	}
	e.recv.setStatus(func(int) int { return http.StatusOK })
	if _, err := e.svc.ResendEvent(bg, e.clientID, id); err != nil {
		t.Fatal(err)
	}
	if n, err := d.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce after resend = %d, %v", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"failed", "dead", "delivered"}; !reflect.DeepEqual(results, want) {
		t.Fatalf("results %v, want %v", results, want)
	}
}
