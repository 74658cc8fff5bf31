// Package deploy_test checks deploy/: a real Prometheus scrapes a running f2fpay demo,
// loads the alert rules, and evaluates every query of the rules and the Grafana dashboard.
package deploy_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestPrometheus starts the f2fpay binary's demo and a real Prometheus (Debian's package)
// scraping it with the rules of deploy/prometheus loaded. It checks that a request made to
// f2fpay shows up through Prometheus's HTTP API, that every rule is loaded and evaluates
// healthily, that every query of the rules and the dashboard runs and names only series
// f2fpay serves (or the documented contract), and that F2FPayDown goes pending when
// f2fpay stops.
func TestPrometheus(t *testing.T) {
	promBin := os.Getenv("F2FPAY_PROMETHEUS")
	if promBin == "" {
		promBin = "/usr/bin/prometheus"
	}
	if _, err := os.Stat(promBin); err != nil {
		t.Skipf("no Prometheus at %s: install Debian's package (apt-get install -y prometheus, then "+
			"systemctl disable --now prometheus: the test runs its own) or set F2FPAY_PROMETHEUS to a prometheus binary", promBin)
	}
	bin, cleanup, err := testbin.Build("..")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)

	demo := startDemo(t, bin)
	prom := startPrometheus(t, promBin, demo.hostPort)

	// A request made to f2fpay is counted, scraped and queryable.
	if resp, err := http.Get(demo.baseURL + "/health"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	testutil.WaitFor(t, 0, "Prometheus to see f2fpay up and its /health request", func() bool {
		up := prom.query(t, `up{job="f2fpay"}`)
		health := prom.query(t, `f2fpay_http_requests_total{job="f2fpay",route="/health",status="200"}`)
		return len(up) == 1 && up[0].value() == "1" && len(health) == 1 && health[0].value() != "0"
	})
	series := prom.query(t, `f2fpay_http_requests_total{job="f2fpay"}`)
	t.Logf("f2fpay_http_requests_total through Prometheus: %d series, e.g. %v = %s", len(series), series[0].Metric, series[0].value())

	waitRulesHealthy(t, prom)
	checkQueries(t, prom)

	// With f2fpay gone, up == 0 and F2FPayDown goes pending (it fires after its 1 minute).
	demo.stop(t)
	testutil.WaitFor(t, 0, "F2FPayDown pending or firing after the demo stopped", func() bool {
		return prom.alertState(t, "F2FPayDown") != ""
	})
	t.Logf("after stopping the demo: F2FPayDown is %s", prom.alertState(t, "F2FPayDown"))
}

// waitRulesHealthy waits until /api/v1/rules lists every rule of the file, each evaluated
// with health "ok".
func waitRulesHealthy(t *testing.T, prom *prometheus) {
	want := ruleNames(t)
	testutil.WaitFor(t, 0, "every rule loaded and evaluated healthily", func() bool {
		got := prom.rules(t)
		for name := range want {
			if got[name] != "ok" {
				return false
			}
		}
		return len(got) == len(want)
	})
	t.Logf("/api/v1/rules: %d rules loaded, all health=ok", len(want))
}

// demo is a running `f2fpay demo` child process.
type demo struct {
	cmd      *exec.Cmd
	out      *testbin.Buffer
	exited   chan error
	stopped  bool
	baseURL  string
	hostPort string
}

func startDemo(t *testing.T, bin string) *demo {
	dir := t.TempDir()
	d := &demo{out: &testbin.Buffer{}, exited: make(chan error, 1)}
	d.cmd = exec.Command(bin, "demo", "--listen", "127.0.0.1:0", "--data-dir", dir)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() { d.stop(t) })
	testutil.WaitFor(t, 0, "the demo to write demo.json and serve /metrics", func() bool {
		var state struct {
			BaseURL string `json:"base_url"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "demo.json"))
		if err != nil || json.Unmarshal(b, &state) != nil || state.BaseURL == "" {
			return false
		}
		resp, err := http.Get(state.BaseURL + "/metrics")
		if err != nil {
			return false
		}
		resp.Body.Close()
		d.baseURL = state.BaseURL
		return resp.StatusCode == http.StatusOK
	})
	u, err := url.Parse(d.baseURL)
	if err != nil {
		t.Fatal(err)
	}
	d.hostPort = u.Host
	return d
}

// stop interrupts the child as Ctrl-C would and waits for it; it is safe to call twice.
func (d *demo) stop(t *testing.T) {
	if d.stopped {
		return
	}
	d.stopped = true
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-d.exited:
		if err != nil {
			t.Errorf("the demo exited with %v:\n%s", err, d.out.String())
		}
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		t.Errorf("the demo did not stop within 30 s of SIGINT:\n%s", d.out.String())
	}
}

// prometheus is a running Prometheus server.
type prometheus struct {
	url string
	out *testbin.Buffer
}

func startPrometheus(t *testing.T, bin, target string) *prometheus {
	dir := t.TempDir()
	rules, err := filepath.Abs("prometheus/f2fpay.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: f2fpay
    static_configs:
      - targets: [%q]
`, rules, target)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Prometheus binds by address only, so it gets a port freed just before; should another
	// process take it meanwhile, Prometheus exits and is started again on another.
	for attempt := 1; ; attempt++ {
		p, err := runPrometheus(t, bin, cfgFile, filepath.Join(dir, "data"))
		if err == nil {
			return p
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

// runPrometheus starts Prometheus on a free port and waits until it is ready; it returns
// an error with Prometheus's output when it exits first.
func runPrometheus(t *testing.T, bin, cfgFile, dataDir string) (*prometheus, error) {
	addr := freeAddr(t)
	p := &prometheus{url: "http://" + addr, out: &testbin.Buffer{}}
	cmd := exec.Command(bin, "--config.file="+cfgFile, "--storage.tsdb.path="+dataDir,
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var died error
	testutil.WaitFor(t, 0, "Prometheus to answer /-/ready", func() bool {
		select {
		case <-exited:
			died = fmt.Errorf("prometheus exited:\n%s", p.out.String())
			return true
		default:
		}
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if died != nil {
		return nil, died
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return p, nil
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
