package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// soakRun keeps a steady, mixed load on the server s for o.soak after the table's phases:
// each round creates an order, has the sandbox's buyer scan and pay it, queries it until it
// is paid and refunds a tenth of them, at o.soakRate orders a second. It samples the
// server's RSS every 30 s and prints the first and last samples and the slope between
// them, so that a leak shows as a growth the length of the run does not explain.
func soakRun(ctx context.Context, o options, s served, log io.Writer) error {
	hc := httpClient(64)
	c := client.New(s.URL, s.AppID, s.Secret, client.WithHTTPClient(hc))
	ctx, cancel := context.WithTimeout(ctx, o.soak)
	defer cancel()
	var created, paid, refunded, failed atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		failed.Add(1)
		firstErr.CompareAndSwap(nil, err)
	}
	type sample struct {
		at  time.Duration
		rss int64 // kB
	}
	var samples []sample
	start := time.Now()
	take := func() {
		cur := readMemory(s.PID).rss
		samples = append(samples, sample{time.Since(start), cur})
		fmt.Fprintf(log, "  soak %6s: RSS %d MB, %d orders created, %d paid, %d refunded, %d failed\n",
			time.Since(start).Round(time.Second), cur/1024, created.Load(), paid.Load(), refunded.Load(), failed.Load())
	}
	take()
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(o.soakRate))
	defer tick.Stop()
	sampleTick := time.NewTicker(30 * time.Second)
	defer sampleTick.Stop()
	sem := make(chan struct{}, 64) // at most 64 orders in flight
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			take()
			first, last := samples[0], samples[len(samples)-1]
			if len(samples) > 2 { // the first sample follows the table's bursts; measure from the second
				first = samples[1]
			}
			slope := float64(last.rss-first.rss) / 1024 / (last.at - first.at).Minutes()
			fmt.Fprintf(log, "  soak of %s at %d orders/s: %d created, %d paid, %d refunded, %d failed; RSS %d → %d MB from %s to %s (%+.2f MB/min)\n",
				o.soak, o.soakRate, created.Load(), paid.Load(), refunded.Load(), failed.Load(), first.rss/1024, last.rss/1024,
				first.at.Round(time.Second), last.at.Round(time.Second), slope)
			if err, _ := firstErr.Load().(error); err != nil {
				fmt.Fprintf(log, "    first error: %v\n", err)
			}
			return nil
		case <-sampleTick.C:
			take()
		case <-tick.C:
			select {
			case sem <- struct{}{}:
			default:
				continue // the server is behind: skip a beat rather than pile up
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := soakOrder(ctx, c, hc, s, "soak_"+strconv.Itoa(i), i%10 == 0, &created, &paid, &refunded); err != nil && ctx.Err() == nil {
					fail(err)
				}
			}()
		}
	}
}

// soakOrder is one round of the soak: create, scan, pay, wait until paid, maybe refund.
func soakOrder(ctx context.Context, c *client.Client, hc *http.Client, s served, no string, refund bool, created, paid, refunded *atomic.Int64) error {
	if _, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: "9.90", Subject: "soak"}); err != nil {
		return fmt.Errorf("create: %v", err)
	}
	created.Add(1)
	for _, step := range []string{"scan", "pay"} {
		if err := sandboxCall(ctx, hc, s.URL+"/sandbox/api/"+step, s.AlipayAppID, no); err != nil {
			return err
		}
	}
	p, err := c.Query(ctx, no, client.QueryOptions{Wait: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("query: %v", err)
	}
	if p.Status != client.StatusPaid {
		return fmt.Errorf("%s is %s 10 s after it was paid", no, p.Status)
	}
	paid.Add(1)
	if refund {
		if _, err := c.Refund(ctx, client.RefundRequest{OutTradeNo: no, RefundNo: "r_" + no, RefundAmount: "1.00", Reason: "soak"}); err != nil {
			return fmt.Errorf("refund: %v", err)
		}
		refunded.Add(1)
	}
	return nil
}
