// Command bench is the load test of the rate limiter (docs/BENCHMARKS.md). On a loopback-only gateway
// (the real HTTP stack, SQLite, the simulator as Alipay) a probe client queries its order
// at a steady pace, first alone, then while a flooding client sends as fast as it can.
// The flooder offers -flood-rate requests per second (default 1000, 20x its limit), or as
// many as it can with -flood-rate 0 (then the load generator itself competes for the
// CPUs the gateway runs on, which no limiter can prevent). It reports the flooder's admitted rate against its limit and the probe's latency
// percentiles unloaded and loaded, and exits 1 when the limiter lets the flooder exceed its
// rate or the probe's p99 more than doubles. Every phase is bounded in time and requests.
//
//	go run ./bench -duration 10s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	duration     time.Duration
	floodWorkers int
	probeEvery   time.Duration
	rate         float64
	burst        int
	maxRequests  int64
	floodRate    float64
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each phase (at most 60s)")
	fs.IntVar(&o.floodWorkers, "flood-workers", 4, "concurrent connections of the flooding client (at most 64)")
	fs.DurationVar(&o.probeEvery, "probe-every", 50*time.Millisecond, "pause between the probe's requests")
	fs.Float64Var(&o.rate, "rate", ratelimit.DefaultClientRate, "per-client limit, requests per second")
	fs.IntVar(&o.burst, "burst", ratelimit.DefaultClientBurst, "per-client burst")
	fs.Float64Var(&o.floodRate, "flood-rate", 1000, "requests per second the flooder offers (0 = as fast as it can)")
	fs.Int64Var(&o.maxRequests, "max-requests", 2_000_000, "stop flooding after this many requests")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.duration <= 0 || o.duration > time.Minute || o.floodWorkers < 1 || o.floodWorkers > 64 {
		fmt.Fprintln(stderr, "bench: -duration must be in (0, 60s] and -flood-workers in [1, 64]")
		return 2
	}
	if err := bench(o, stdout); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

func bench(o options, out io.Writer) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "f2fpay-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	g, err := startGateway(ctx, dir, config.RateLimitConfig{ClientRate: o.rate, ClientBurst: o.burst})
	if err != nil {
		return err
	}
	defer g.close()
	probe, err := newClient(ctx, g, "probe")
	if err != nil {
		return err
	}
	flooder, err := newClient(ctx, g, "flooder")
	if err != nil {
		return err
	}
	if _, _, err := probe.Create(ctx, client.CreateRequest{OutTradeNo: "bench_probe", TotalAmount: "9.90", Subject: "bench"}); err != nil {
		return fmt.Errorf("probe order: %w", err)
	}
	// Warm up connections and caches so that neither phase pays for them.
	runProbe(ctx, probe, time.Second, o.probeEvery)

	unloaded := runProbe(ctx, probe, o.duration, o.probeEvery)
	var fl floodResult
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); fl = flood(ctx, flooder, o) }()
	loaded := runProbe(ctx, probe, o.duration, o.probeEvery)
	wg.Wait()
	return report(out, o, unloaded, loaded, fl)
}

func newClient(ctx context.Context, g *gateway, name string) (*client.Client, error) {
	c, secret, err := g.Service().CreateMerchant(ctx, name, "")
	if err != nil {
		return nil, err
	}
	return client.New(g.URL(), c.AppID, secret), nil
}

// probeResult is the latencies of the probe's successful requests and its failures.
type probeResult struct {
	lat    []time.Duration
	failed int
}

// runProbe queries the probe's order every `every` for d.
func runProbe(ctx context.Context, c *client.Client, d, every time.Duration) probeResult {
	var r probeResult
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(every) {
		start := time.Now()
		if _, err := c.Query(ctx, "bench_probe", client.QueryOptions{}); err != nil {
			r.failed++
			continue
		}
		r.lat = append(r.lat, time.Since(start))
	}
	return r
}

type floodResult struct {
	sent, admitted, limited, other int64
	elapsed                        time.Duration
}

// flood lists the flooder's orders from o.floodWorkers goroutines as fast as they can, for
// o.duration or o.maxRequests requests, whichever ends first.
func flood(ctx context.Context, c *client.Client, o options) floodResult {
	var r floodResult
	start := time.Now()
	end := start.Add(o.duration)
	var pace <-chan time.Time
	if o.floodRate > 0 {
		tick := time.NewTicker(time.Duration(float64(time.Second) / o.floodRate))
		defer tick.Stop()
		pace = tick.C
	}
	var wg sync.WaitGroup
	for range o.floodWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && atomic.AddInt64(&r.sent, 1) <= o.maxRequests {
				if pace != nil {
					<-pace
				}
				_, err := c.List(ctx, client.ListOptions{Limit: 1})
				var ce *client.Error
				switch {
				case err == nil:
					atomic.AddInt64(&r.admitted, 1)
				case errors.As(err, &ce) && ce.Code == client.CodeRateLimited:
					atomic.AddInt64(&r.limited, 1)
				default:
					atomic.AddInt64(&r.other, 1)
				}
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.sent = r.admitted + r.limited + r.other
	return r
}

func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func report(out io.Writer, o options, unloaded, loaded probeResult, fl floodResult) error {
	secs := fl.elapsed.Seconds()
	allowed := o.rate*secs + float64(o.burst)
	offered := "as fast as it can"
	if o.floodRate > 0 {
		offered = fmt.Sprintf("%.0f/s", o.floodRate)
	}
	fmt.Fprintf(out, "phase length %s, flood workers %d offering %s, limit %.0f/s burst %d, probe every %s, %d CPUs\n\n",
		o.duration, o.floodWorkers, offered, o.rate, o.burst, o.probeEvery, runtime.NumCPU())
	fmt.Fprintf(out, "| phase | probe requests | failed | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|\n")
	for _, ph := range []struct {
		name string
		r    probeResult
	}{{"unloaded", unloaded}, {"loaded", loaded}} {
		l := ph.r.lat
		fmt.Fprintf(out, "| %s | %d | %d | %s | %s | %s | %s |\n", ph.name, len(l)+ph.r.failed, ph.r.failed,
			ms(percentile(l, .5)), ms(percentile(l, .9)), ms(percentile(l, .99)), ms(percentile(l, 1)))
	}
	fmt.Fprintf(out, "\nflooder: %d sent in %.1f s (%.0f/s), %d admitted (%.1f/s; limit allows at most %.0f), %d answered 429, %d other\n",
		fl.sent, secs, float64(fl.sent)/secs, fl.admitted, float64(fl.admitted)/secs, allowed, fl.limited, fl.other)
	p99u, p99l := percentile(unloaded.lat, .99), percentile(loaded.lat, .99)
	fmt.Fprintf(out, "probe p99 loaded / unloaded = %.2f (must be <= 2.00)\n", float64(p99l)/float64(p99u))
	var errs []error
	if float64(fl.admitted) > allowed {
		errs = append(errs, fmt.Errorf("flooder admitted %d > %.0f", fl.admitted, allowed))
	}
	if unloaded.failed+loaded.failed > 0 || len(unloaded.lat) == 0 || len(loaded.lat) == 0 {
		errs = append(errs, fmt.Errorf("%d probe requests failed (keep -probe-every above 1/-rate)", unloaded.failed+loaded.failed))
	}
	if fl.limited == 0 {
		errs = append(errs, errors.New("the flooder was never limited: raise -flood-workers or -duration"))
	}
	if p99l > 2*p99u {
		errs = append(errs, fmt.Errorf("probe p99 %s loaded > 2 x %s unloaded", p99l, p99u))
	}
	return errors.Join(errs...)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
