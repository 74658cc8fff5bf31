package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// BenchmarkSignedQuery runs signed GET /api/v1/payment/query/{no} through the gateway
// that bench/perf's server process runs (internal/app, a real SQLite file, loopback HTTP),
// in this process, so that -cpuprofile and -memprofile see the server's costs beside the
// client's signing. The server logs at Info as `serve` does (JSON), to nowhere, so that
// the access log is measured but not the disk. cpu-ns/op is the process's CPU time (user
// and system, the client's included) per query: the figure that bounds the rate on a
// saturated machine, where ns/op also measures the waits.
//
//	go test -run '^$' -bench . -benchmem -cpuprofile /tmp/q.cpu -memprofile /tmp/q.mem ./bench/perf
func BenchmarkSignedQuery(b *testing.B) {
	_, c, _ := benchServer(b)
	ctx := context.Background()
	if _, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: "bench_q", TotalAmount: "9.90", Subject: "perf"}); err != nil {
		b.Fatal(err)
	}
	parallel(b, func() error {
		p, err := c.Query(ctx, "bench_q", client.QueryOptions{})
		if err == nil && p.OutTradeNo != "bench_q" {
			b.Errorf("query answered %s", p.OutTradeNo)
		}
		return err
	})
}

// BenchmarkCreate is a signed create through the same gateway, precreate at the embedded
// sandbox included (its RSA signatures are in the profile too, as in bench/perf).
func BenchmarkCreate(b *testing.B) {
	_, c, _ := benchServer(b)
	ctx := context.Background()
	var n atomic.Int64
	parallel(b, func() error {
		_, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: "bench_c_" + strconv.FormatInt(n.Add(1), 10), TotalAmount: "9.90", Subject: "perf"})
		return err
	})
}

// BenchmarkHealth is GET /health on the same gateway: the HTTP floor the query is
// compared with (bench/perf's ratio).
func BenchmarkHealth(b *testing.B) {
	s, _, hc := benchServer(b)
	parallel(b, func() error {
		resp, err := hc.Get(s.URL + "/health")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	})
}

func benchServer(b *testing.B) (served, *client.Client, *http.Client) {
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})) //nolint:sloglint // the access log is formatted as serve formats it, and thrown away
	s, stop, err := start(context.Background(), "sqlite", b.TempDir(), "", log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := stop(); err != nil {
			b.Error(err)
		}
	})
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	return s, client.New(s.URL, s.AppID, s.Secret, client.WithHTTPClient(hc)), hc
}

// parallel runs fn on 16 goroutines (bench/perf's query phase) and reports the CPU time
// per call.
func parallel(b *testing.B, fn func() error) {
	b.SetParallelism(8) // × GOMAXPROCS 2
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := fn(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
