package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestLimitNotify: at most n notifications run at once and the others wait their turn;
// one whose sender gives up while waiting is answered 503 "failure" without running;
// other paths are never held.
func TestLimitNotify(t *testing.T) {
	release := make(chan struct{})
	var running, most, ran atomic.Int32
	h := limitNotify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/notify/alipay" {
			return
		}
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		ran.Add(1)
		<-release
		running.Add(-1)
	}), 3)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/notify/alipay", nil))
		}()
	}
	testutil.WaitFor(t, 10*time.Second, "three notifications running", func() bool { return running.Load() == 3 })
	other := httptest.NewRecorder()
	h.ServeHTTP(other, httptest.NewRequest(http.MethodGet, "/health", nil)) // not held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gaveUp := httptest.NewRecorder()
	h.ServeHTTP(gaveUp, httptest.NewRequest(http.MethodPost, "/notify/alipay", nil).WithContext(ctx))
	if gaveUp.Code != http.StatusServiceUnavailable || gaveUp.Body.String() != "failure" {
		t.Errorf("a sender that gave up: %d %q, want 503 failure", gaveUp.Code, gaveUp.Body.String())
	}
	close(release)
	wg.Wait()
	if most.Load() != 3 || ran.Load() != 5 {
		t.Errorf("at most %d at once and %d ran; want 3 and 5", most.Load(), ran.Load())
	}
}
