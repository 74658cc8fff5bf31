// Command waitrss measures what waiting costs the gateway: it starts `f2fpay demo` as a
// child process, holds N merchant-API queries with ?wait=60 on one pending order, each on
// its own connection, and reports how much the server's resident memory grew while they
// wait, then how fast all of them answer once the sandbox buyer pays. The requests arrive
// spread over -ramp (devices do not all ask in the same millisecond); -ramp 0 sends them
// at once and then also measures the transient cost of handling 1,000 requests together.
//
//	go run ./bench/waitrss -n 1000 -ramp 2s
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/f2fpay/f2fpay/client"

	"github.com/f2fpay/f2fpay/internal/testbin"
)

func main() {
	n := flag.Int("n", 1000, "concurrent waiting requests")
	bin := flag.String("bin", "", "f2fpay binary (default: go build ./cmd/f2fpay into a temporary directory)")
	ramp := flag.Duration("ramp", 2*time.Second, "spread the requests' arrival over this long (0: all at once)")
	flag.Parse()
	if err := run(*n, *bin, *ramp); err != nil {
		fmt.Fprintln(os.Stderr, "waitrss:", err)
		os.Exit(1)
	}
}

func run(n int, bin string, ramp time.Duration) error {
	dir, err := os.MkdirTemp("", "waitrss")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		built, cleanup, err := testbin.Build(".")
		if err != nil {
			return err
		}
		defer cleanup()
		bin = built
	}
	cmd := exec.Command(bin, "demo", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"))
	// The benchmark is about memory, not about the rate limits of one client.
	cmd.Env = append(os.Environ(), "F2FPAY_RATE_LIMIT_CLIENT_RATE=-1", "F2FPAY_RATE_LIMIT_IP_RATE=-1")
	stdout, _ := cmd.StdoutPipe()

	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), "state file") {
	}
	go func() { // keep the pipe drained
		for sc.Scan() {
		}
	}()
	var st struct {
		BaseURL string `json:"base_url"`
		AppID   string `json:"app_id"`
		Secret  string `json:"secret"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "data", "demo.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	return measure(pid, n, ramp, st.BaseURL, st.AppID, st.Secret)
}

func measure(pid, n int, ramp time.Duration, base, appID, secret string) error {
	ctx := context.Background()
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0, DisableCompression: true}
	c := client.New(base, appID, secret, client.WithHTTPClient(&http.Client{Transport: tr, Timeout: 90 * time.Second}))
	no := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	p, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: "9.90", Subject: "waitrss"})
	if err != nil {
		return err
	}
	for i := 0; i < 20; i++ { // warm the server's pools before the baseline
		if _, err := c.Query(ctx, no, client.QueryOptions{}); err != nil {
			return err
		}
	}
	time.Sleep(time.Second)
	baseRSS, baseFDs := rssKB(pid), fds(pid)
	var wg sync.WaitGroup
	var paid, failed atomic.Int64
	var mu sync.Mutex
	var last time.Time
	for i := 0; i < n; i++ {
		time.Sleep(ramp / time.Duration(n))
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.Query(ctx, no, client.QueryOptions{Wait: 60 * time.Second})
			if err != nil || got.Status != "paid" {
				failed.Add(1)
				return
			}
			paid.Add(1)
			mu.Lock()
			last = time.Now()
			mu.Unlock()
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for fds(pid) < baseFDs+n { // every request has its connection
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d connections open", fds(pid)-baseFDs, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let every handler authenticate and reach the wait
	peak := 0
	for i := 0; i < 10; i++ {
		peak = max(peak, rssKB(pid))
		time.Sleep(100 * time.Millisecond)
	}
	if paid.Load()+failed.Load() > 0 {
		return errors.New("some waiting requests answered before the payment")
	}
	payAt := time.Now()
	body, _ := json.Marshal(map[string]string{"qr_code": p.QRCode})
	resp, err := http.Post(base+"/sandbox/api/pay", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp.Body.Close()
	wg.Wait()
	growth := float64(peak-baseRSS) / 1024
	fmt.Printf("waiting requests:      %d, arriving over %v (%d answered paid, %d failed)\n", n, ramp, paid.Load(), failed.Load())
	fmt.Printf("server RSS idle:       %.1f MB\n", float64(baseRSS)/1024)
	fmt.Printf("server RSS waiting:    %.1f MB\n", float64(peak)/1024)
	fmt.Printf("growth:                %.1f MB (%.1f KB per waiting request)\n", growth, float64(peak-baseRSS)/float64(n))
	fmt.Printf("all answered within:   %v of the payment\n", last.Sub(payAt).Round(time.Millisecond))
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	return nil
}

// rssKB reads the resident set size of a process from /proc (Linux).
func rssKB(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	return 0
}

// fds counts a process's open file descriptors (Linux).
func fds(pid int) int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents)
}
