// Command perf measures the gateway's write path against what a merchant gets by hand, in
// one run (docs/BENCHMARKS.md, "Write path"). It starts the real gateway (internal/app,
// with the sandbox as Alipay) as a child process on a loopback port, on SQLite and then,
// when F2FPAY_TEST_POSTGRES_URL is set, on PostgreSQL, and runs against each:
//
//   - the bare smartwalle SDK: alipay.trade.precreate in a loop against the sandbox;
//   - creates through the merchant API (signed, with their precreate);
//   - GET /health, the HTTP floor;
//   - signed queries at 1, 16 and 200 workers;
//   - 1,000 orders paid at once through the sandbox, until their payment.succeeded events;
//   - the server's RSS at the start and the end, and its peak.
//
// It prints one table with the ratios. Every phase is bounded in requests and in time, so
// a run takes at most about three minutes.
//
//	go run ./bench/perf
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	serve    string // the server process: sqlite or postgres
	dir      string
	pgURL    string
	n        int           // requests per throughput phase
	phase    time.Duration // longest throughput phase
	paid     int           // orders paid at once
	only     string        // sqlite or postgres: run one database only
	workers  int           // workers of the throughput phases
	profile  string        // the server's CPU profile, written here
	scale    int           // seed this many orders and compare the scale figures
	soak     time.Duration // after the phases, a steady load this long (0: none)
	soakRate int           // orders a second of the soak
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("perf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.serve, "serve", "", "internal: run the server process on this database")
	fs.StringVar(&o.dir, "dir", "", "internal: the server's data directory")
	fs.IntVar(&o.n, "n", 3000, "requests per throughput phase (at most 100000)")
	fs.DurationVar(&o.phase, "phase", 5*time.Second, "longest throughput phase (at most 20s)")
	fs.IntVar(&o.paid, "paid", 1000, "orders paid at once (at most 5000)")
	fs.IntVar(&o.workers, "workers", 16, "workers of the throughput phases (at most 256)")
	fs.StringVar(&o.profile, "cpuprofile", "", "write the server's CPU profile of the whole run to this file")
	fs.IntVar(&o.scale, "scale", 0, "instead of the table: measure the scale figures empty, seed this many orders, measure again")
	fs.StringVar(&o.only, "only", "", "sqlite or postgres: measure one database only")
	fs.DurationVar(&o.soak, "soak", 0, "after the table's phases, keep a steady mixed load this long and print the server's RSS over it (at most 30m)")
	fs.IntVar(&o.soakRate, "soak-rate", 20, "orders a second during -soak (each created, paid, queried; a tenth refunded), at most 200")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.pgURL = os.Getenv("F2FPAY_TEST_POSTGRES_URL")
	if o.serve != "" {
		if err := serve(o.serve, o.dir, o.pgURL, o.profile, stdout); err != nil {
			fmt.Fprintln(stderr, "perf server:", err)
			return 1
		}
		return 0
	}
	if o.scale < 0 || o.scale > 10000000 {
		fmt.Fprintln(stderr, "perf: -scale in [0, 10000000]")
		return 2
	}
	if o.n < 1 || o.n > 100000 || o.phase <= 0 || o.phase > 20*time.Second || o.paid < 1 || o.paid > 5000 ||
		o.workers < 1 || o.workers > 256 || o.soak < 0 || o.soak > 30*time.Minute || o.soakRate < 1 || o.soakRate > 200 {
		fmt.Fprintln(stderr, "perf: -n in [1, 100000], -phase in (0, 20s], -paid in [1, 5000], -workers in [1, 256], -soak in [0, 30m], -soak-rate in [1, 200]")
		return 2
	}
	dbs := []string{"sqlite"}
	if o.pgURL != "" {
		dbs = append(dbs, "postgres")
	} else {
		fmt.Fprintln(stdout, "PostgreSQL skipped: set F2FPAY_TEST_POSTGRES_URL=postgres://… to measure it too")
	}
	if o.only != "" {
		dbs = []string{o.only}
	}
	var results []*result
	for _, db := range dbs {
		r, err := measureDB(o, db, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "perf: %s: %v\n", db, err)
			return 1
		}
		if r != nil {
			results = append(results, r)
		}
	}
	if len(results) > 0 {
		printTable(stdout, results)
	}
	return 0
}

// measureDB starts a server process on db and runs every phase against it.
func measureDB(o options, db string, log io.Writer) (*result, error) {
	dir, err := os.MkdirTemp("", "f2fpay-perf")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve", db, "-dir", dir}
	if o.profile != "" {
		args = append(args, "-cpuprofile", o.profile+"."+db)
	}
	cmd := exec.Command(self, args...)
	logPath := filepath.Join(dir, "server.log") // its warnings, shown when a phase fails
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("server did not start: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	var s served
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		return nil, fmt.Errorf("server said %q: %v", strings.TrimSpace(line), err)
	}
	s.Log = logPath
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	fmt.Fprintf(log, "%s: server pid %d at %s\n", db, s.PID, s.URL)
	if o.scale > 0 {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer scancel()
		if err := scaleRun(sctx, o, s, log); err != nil {
			tail(log, logPath, 20)
			return nil, err
		}
		return nil, nil
	}
	r, err := phases(ctx, o, s, log)
	if err != nil {
		tail(log, logPath, 20)
		return nil, err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, errors.New("the run took longer than its bound")
	}
	if o.soak > 0 {
		if err := soakRun(context.Background(), o, s, log); err != nil {
			tail(log, logPath, 20)
			return nil, err
		}
	}
	return r, nil
}

// tail prints the last n lines of the file at path.
func tail(w io.Writer, path string, n int) {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	fmt.Fprintf(w, "the server's last %d of %d log lines:\n", min(n, len(lines)), len(lines))
	for _, l := range lines[max(0, len(lines)-n):] {
		fmt.Fprintln(w, "  "+l)
	}
}
