package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/client"
)

// stats is one phase: how many requests succeeded in how long, and their latencies.
type stats struct {
	ok, failed int64
	elapsed    time.Duration
	lat        []time.Duration // sorted
	firstErr   error
}

func (s stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok) / s.elapsed.Seconds()
}

func (s stats) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	i := int(p * float64(len(s.lat)-1))
	return s.lat[i]
}

// load runs fn(i) for i in [0, n) on workers goroutines, stopping early after limit.
func load(ctx context.Context, workers, n int, limit time.Duration, fn func(ctx context.Context, i int) error) stats {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var next, ok, failed atomic.Int64
	var mu sync.Mutex
	var lats []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, n/workers+1)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					break
				}
				t0 := time.Now()
				err := fn(ctx, i)
				if ctx.Err() != nil { // cut by the phase's bound, not a failure
					break
				}
				if err != nil {
					failed.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				ok.Add(1)
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	s := stats{ok: ok.Load(), failed: failed.Load(), elapsed: time.Since(start), lat: lats, firstErr: firstErr}
	sort.Slice(s.lat, func(i, j int) bool { return s.lat[i] < s.lat[j] })
	return s
}

// result is one database's figures.
type result struct {
	db                        string
	sdk, create, health       stats
	query1, query16, query200 stats
	paid, paidWanted          int
	paidIn                    time.Duration
	rssStart, rssEnd, rssPeak int64 // kB
}

func httpClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// phases runs every phase against the server s, in the order of the table.
func phases(ctx context.Context, o options, s served, log io.Writer) (*result, error) {
	r := &result{db: s.Database}
	hc := httpClient(512)
	c := client.New(s.URL, s.AppID, s.Secret, client.WithHTTPClient(hc))
	// Warm up the connections and the server's caches before the first figure.
	if _, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: "perf_warm", TotalAmount: "9.90", Subject: "perf"}); err != nil {
		return nil, fmt.Errorf("warm-up create: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	r.rssStart = readMemory(s.PID).rss

	sdk, err := alipay.New(s.AlipayAppID, s.PrivateKey, false, alipay.WithSandboxGateway(s.URL+"/sandbox/gateway.do"),
		alipay.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	if err := sdk.LoadAliPayPublicKey(s.AlipayKey); err != nil {
		return nil, err
	}
	r.sdk = load(ctx, o.workers, o.n, o.phase, func(ctx context.Context, i int) error {
		rsp, err := sdk.TradePreCreate(ctx, alipay.TradePreCreate{Trade: alipay.Trade{
			OutTradeNo: "perf_sdk_" + strconv.Itoa(i), TotalAmount: "9.90", Subject: "perf", ProductCode: "FACE_TO_FACE_PAYMENT"}})
		if err == nil && rsp.QRCode == "" {
			err = fmt.Errorf("precreate: %s %s", rsp.Code, rsp.SubMsg)
		}
		return err
	})
	report(log, "bare SDK precreate", r.sdk)

	var mu sync.Mutex
	var created []string // the orders the queries read
	r.create = load(ctx, o.workers, o.n, o.phase, func(ctx context.Context, i int) error {
		no := "perf_" + strconv.Itoa(i)
		_, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: "9.90", Subject: "perf"})
		if err == nil {
			mu.Lock()
			created = append(created, no)
			mu.Unlock()
		}
		return err
	})
	report(log, "create", r.create)
	if len(created) == 0 {
		return nil, fmt.Errorf("no order created: %v", r.create.firstErr)
	}

	r.health = load(ctx, o.workers, o.n*4, o.phase, func(ctx context.Context, _ int) error {
		resp, err := hc.Get(s.URL + "/health")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/health: %d", resp.StatusCode)
		}
		return nil
	})
	report(log, "GET /health", r.health)

	query := func(ctx context.Context, i int) error {
		_, err := c.Query(ctx, created[i%len(created)], client.QueryOptions{})
		return err
	}
	r.query1 = load(ctx, 1, o.n/3, o.phase, query)
	report(log, "query, 1 worker", r.query1)
	r.query16 = load(ctx, o.workers, o.n, o.phase, query)
	report(log, fmt.Sprintf("query, %d workers", o.workers), r.query16)
	r.query200 = load(ctx, 200, o.n, o.phase, query)
	report(log, "query, 200 workers", r.query200)

	if err := payAtOnce(ctx, o, s, c, hc, r, log); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond)
	m := readMemory(s.PID)
	r.rssEnd, r.rssPeak = m.rss, m.peak
	fmt.Fprintf(log, "  server RSS %d MB at the start, %d MB at the end (anonymous %d MB, file-backed %d MB: the binary's code and read-only data), peak %d MB\n",
		r.rssStart/1024, r.rssEnd/1024, m.anon/1024, m.file/1024, r.rssPeak/1024)
	return r, nil
}

func report(w io.Writer, name string, s stats) {
	fmt.Fprintf(w, "  %-22s %6d ok %4d failed in %6.2fs: %7.0f/s  p50 %6.2f ms  p99 %7.2f ms\n", name, s.ok, s.failed,
		s.elapsed.Seconds(), s.rate(), ms(s.pct(0.50)), ms(s.pct(0.99)))
	if s.firstErr != nil {
		fmt.Fprintf(w, "    first error: %v\n", s.firstErr)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// payAtOnce creates o.paid orders of their own, has the sandbox's buyer scan each (the
// trade exists from the scan), lets those notifications settle, then pays all of them at
// once and waits until every one's payment.succeeded event is listed: notification →
// signature check → confirming trade.query → commit → event, as the gateway does for each.
func payAtOnce(ctx context.Context, o options, s served, c *client.Client, hc *http.Client, r *result, log io.Writer) error {
	nos := make([]string, o.paid)
	for i := range nos {
		nos[i] = "perf_pay_" + strconv.Itoa(i)
	}
	st := load(ctx, o.workers, o.paid, time.Minute, func(ctx context.Context, i int) error {
		// Two hours, the longest: the sandbox's TimeScale (serve.go) shortens it to 2 minutes, past the phase.
		_, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: nos[i], TotalAmount: "9.90", Subject: "perf", TimeoutMinutes: 120})
		if err == nil {
			err = sandboxCall(ctx, hc, s.URL+"/sandbox/api/scan", s.AlipayAppID, nos[i])
		}
		return err
	})
	if st.ok != int64(o.paid) {
		return fmt.Errorf("preparing the paid orders: %d of %d: %v", st.ok, o.paid, st.firstErr)
	}
	time.Sleep(2 * time.Second) // the scans' WAIT_BUYER_PAY notifications are not measured
	after, err := eventsEnd(ctx, c)
	if err != nil {
		return err
	}
	want := make(map[string]bool, len(nos))
	for _, no := range nos {
		want[no] = true
	}
	start := time.Now()
	var wg sync.WaitGroup
	var payErr atomic.Value
	// The buyers pay through 64 connections: a pay call only marks the trade paid and
	// queues its notification (a millisecond), so all are paid within a fraction of the
	// phase, and the server is not made to hold a thousand idle connections afterwards
	// that no real buyer would have opened to it.
	work := make(chan string)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for no := range work {
				if err := sandboxCall(ctx, hc, s.URL+"/sandbox/api/pay", s.AlipayAppID, no); err != nil {
					payErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	go func() {
		defer close(work)
		for _, no := range nos {
			work <- no
		}
	}()
	seen := 0
	var last time.Time
	deadline := time.Now().Add(40 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Add(-5*time.Second).Before(deadline) {
		deadline = d.Add(-5 * time.Second) // leave time to read the RSS
	}
	for seen < len(nos) && time.Now().Before(deadline) {
		page, err := c.Events(ctx, after, 200)
		if err != nil { // an overloaded gateway may refuse a poll (503): poll again
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(log, "  events poll: %v\n", err)
			continue
		}
		for _, e := range page.Data {
			if e.Type != "payment.succeeded" {
				continue
			}
			p, err := e.Payment()
			if err == nil && want[p.OutTradeNo] {
				delete(want, p.OutTradeNo)
				seen++
				last = time.Now()
			}
		}
		after = page.NextAfter
		if !page.HasMore {
			time.Sleep(20 * time.Millisecond)
		}
	}
	wg.Wait()
	if err, _ := payErr.Load().(error); err != nil {
		return fmt.Errorf("pay: %v", err)
	}
	r.paid, r.paidIn, r.paidWanted = seen, last.Sub(start), len(nos)
	if seen < len(nos) { // the gateway fell behind the sandbox's 15 s notification timeout: cut at 40 s
		r.paidIn = time.Since(start)
		tail(log, s.Log, 6)
	}
	fmt.Fprintf(log, "  %-22s %6d of %d paid in %6.2fs: %7.0f/s\n", "paid at once", seen, len(nos), r.paidIn.Seconds(), float64(seen)/r.paidIn.Seconds())
	return nil
}

func sandboxCall(ctx context.Context, hc *http.Client, url, appID, no string) error {
	body, _ := json.Marshal(map[string]string{"app_id": appID, "out_trade_no": no})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", url, no, resp.StatusCode, b)
	}
	return nil
}

// eventsEnd returns the events cursor after every event listed so far.
func eventsEnd(ctx context.Context, c *client.Client) (int64, error) {
	var after int64
	for {
		page, err := c.Events(ctx, after, 200)
		if err != nil {
			return 0, err
		}
		after = page.NextAfter
		if !page.HasMore {
			return after, nil
		}
	}
}

// memory is pid's resident memory in kB, read once from /proc/PID/status (Linux): the
// total and its peak, and its anonymous (heap, stacks, SQLite's cache) and file-backed
// (the mapped binary) parts.
type memory struct{ rss, peak, anon, file int64 }

func readMemory(pid int) memory {
	var m memory
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m
	}
	fields := map[string]*int64{"VmRSS:": &m.rss, "VmHWM:": &m.peak, "RssAnon:": &m.anon, "RssFile:": &m.file}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || fields[f[0]] == nil {
			continue
		}
		*fields[f[0]], _ = strconv.ParseInt(f[1], 10, 64)
	}
	return m
}
