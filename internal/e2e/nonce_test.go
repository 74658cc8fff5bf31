package e2e

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// signedQuery is one signed merchant-API request, kept so that it can be sent again as is.
type signedQuery struct {
	path, ts, nonce, sig string
}

func (w *world) signQuery(no string) signedQuery {
	path := "/api/v1/payment/query/" + no
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), client.NewNonce()
	return signedQuery{path: path, ts: ts, nonce: nonce, sig: client.Sign(w.secret, http.MethodGet, path, "", ts, nonce, nil)}
}

func (w *world) send(ctx context.Context, hc *http.Client, q signedQuery) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.baseURL+q.path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-App-Id", w.clientID)
	req.Header.Set("X-Timestamp", q.ts)
	req.Header.Set("X-Nonce", q.nonce)
	req.Header.Set("X-Signature", q.sig)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// TestNonceAfterKill: every request the gateway answered before a SIGKILL has its nonce
// refused after the restart on the same database, although the nonces were recorded in
// shared commits (group commit, docs/decisions.md): a request is answered only once its
// nonce is durable. 16 workers send signed queries as fast as they can; the gateway is
// killed in the middle of the load, restarted, and every request answered 200 is replayed.
func TestNonceAfterKill(t *testing.T) {
	w := newWorld(t)
	w.start()
	ctx := withTimeout(t, 2*time.Minute)
	c := client.New(w.baseURL, w.clientID, w.secret)
	const no = "nonce_kill"
	if _, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: "0.99", Subject: "nonce"}); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var mu sync.Mutex
	var answered []signedQuery
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				q := w.signQuery(no)
				status, _, err := w.send(ctx, hc, q)
				if err != nil { // the kill: the answer never came, so nothing was promised
					return
				}
				if status == http.StatusOK {
					mu.Lock()
					answered = append(answered, q)
					mu.Unlock()
				}
			}
		}()
	}
	enough := func() bool { mu.Lock(); defer mu.Unlock(); return len(answered) >= 300 }
	testutil.WaitFor(t, 90*time.Second, "300 requests answered", enough)
	w.kill() // SIGKILL with requests in flight
	close(stop)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("load: %v", ctx.Err())
	}
	w.start()
	replayed := 0
	for _, q := range answered {
		status, body, err := w.send(ctx, hc, q)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusUnauthorized || !strings.Contains(body, "nonce") {
			t.Errorf("replay of nonce %s answered 200 before the kill: %d %s", q.nonce, status, body)
			continue
		}
		replayed++
	}
	t.Logf("%d requests answered before the SIGKILL; %d replays refused after the restart", len(answered), replayed)
	// The same request with a fresh nonce still passes: the refusals were the nonces'.
	if status, body, err := w.send(ctx, hc, w.signQuery(no)); err != nil || status != http.StatusOK {
		t.Fatalf("fresh request after restart: %d %s %v", status, body, err)
	}
}
