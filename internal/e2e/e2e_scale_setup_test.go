package e2e

import (
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// cluster is N f2fpay serve children on one PostgreSQL schema and one Redis, with one
// sandbox and one webhook receiver in the test process (docs/deploy.md, Several instances).
type cluster struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	appID   string
	recv    *inflightReceiver
	dir     string
	env     []string
	nodes   []*node
	pgURL   string
	schema  string
	natsURL string
}

// node is one f2fpay serve child process.
type node struct {
	name, addr, baseURL string
	cmd                 *exec.Cmd
	exited              chan struct{}
	starts              int
}

// scaleEnv returns the PostgreSQL and Redis URLs or skips the test, saying how to enable it.
func scaleEnv(t *testing.T) (pg, rd, nats string) {
	pg, rd = os.Getenv("F2FPAY_TEST_POSTGRES_URL"), os.Getenv("F2FPAY_TEST_REDIS_URL")
	if pg == "" || rd == "" {
		t.Skip("two-instance test skipped: set F2FPAY_TEST_POSTGRES_URL and F2FPAY_TEST_REDIS_URL " +
			"(and F2FPAY_TEST_NATS_URL to check publishing too); .ci/run does")
	}
	return pg, rd, os.Getenv("F2FPAY_TEST_NATS_URL")
}

func newCluster(t *testing.T, instances int, extraEnv ...string) *cluster {
	t.Helper()
	pg, rd, nats := scaleEnv(t)
	c := &cluster{t: t, dir: t.TempDir(), recv: newInflightReceiver(t), pgURL: pg, natsURL: nats,
		schema: fmt.Sprintf("f2fpay_e2e_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)}
	t.Cleanup(func() { _ = postgres.DropSchema(context.Background(), pg, c.schema) })
	c.appID = "2021000000000077"
	var alipayEnv []string
	c.sb, alipayEnv = newAlipay(t, c.appID)
	c.env = append(os.Environ(),
		"F2FPAY_DATABASE="+pg, "F2FPAY_DATABASE_SCHEMA="+c.schema, "F2FPAY_REDIS="+rd,
		"F2FPAY_MASTER_KEY="+secretbox.NewKey(), "F2FPAY_LOG_FORMAT=json",
		"F2FPAY_RECONCILE_SCHEDULE=200ms,500ms,1s", "F2FPAY_RECONCILE_POLL=100ms", "F2FPAY_RECONCILE_LEASE=3s",
		"F2FPAY_WEBHOOK_SCHEDULE=100ms,200ms,500ms,1s,1s,1s,1s,1s", "F2FPAY_WEBHOOK_TIMEOUT=2s", "F2FPAY_WEBHOOK_LEASE=3s",
		"F2FPAY_WEBHOOK_ALLOW_NETWORKS=127.0.0.1/32", // the receiver runs in this test process
	)
	c.env = append(c.env, alipayEnv...)
	if nats != "" {
		c.env = append(c.env, "F2FPAY_NATS="+nats)
	}
	c.env = append(c.env, extraEnv...)
	for i := range instances {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port, kept across restarts
		if err != nil {
			t.Fatal(err)
		}
		n := &node{name: string(rune('A' + i)), addr: ln.Addr().String()}
		ln.Close()
		n.baseURL = "http://" + n.addr
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			c.kill(n)
		}
	})
	return c
}

// createClient runs f2fpay client create against the shared database.
func (c *cluster) createClient(name string) (appID, secret string) {
	c.t.Helper()
	cmd := exec.Command(binary, "client", "create", "--name", name, "--notify-url", c.recv.srv.URL+"/hook")
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("client create: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "app id: "); ok {
			appID = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "secret: "); ok {
			secret = strings.TrimSpace(v)
		}
	}
	if appID == "" || secret == "" {
		c.t.Fatalf("client create printed no credentials:\n%s", out)
	}
	return appID, secret
}

// start runs node n (f2fpay serve) and waits until /health answers.
func (c *cluster) start(n *node) error {
	n.starts++
	log, err := os.OpenFile(filepath.Join(c.dir, "serve-"+n.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "=== start %d\n", n.starts)
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(append([]string{}, c.env...), "F2FPAY_LISTEN="+n.addr, "F2FPAY_PUBLIC_URL="+n.baseURL)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(exited) }()
	n.cmd, n.exited = cmd, exited
	healthy := false
	testutil.Eventually(0, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		if resp, err := http.Get(n.baseURL + "/health"); err == nil {
			resp.Body.Close()
			healthy = resp.StatusCode == 200
		}
		return healthy
	})
	select {
	case <-exited:
		return fmt.Errorf("node %s exited at start:\n%s", n.name, c.logTail(n))
	default:
	}
	if healthy {
		return nil
	}
	return fmt.Errorf("node %s not healthy:\n%s", n.name, c.logTail(n))
}

// kill SIGKILLs node n, if running, and waits for it to exit.
func (c *cluster) kill(n *node) {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
	n.cmd = nil
}

func (c *cluster) logTail(n *node) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "serve-"+n.name+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// client returns a merchant API client of app on node n.
func (c *cluster) client(n *node, appID, secret string) *client.Client {
	return client.New(n.baseURL, appID, secret)
}

// inflightReceiver is the merchant's webhook endpoint. It holds every POST a few
// milliseconds and counts, per event id, the deliveries and those that overlapped another
// delivery of the same id (which must never happen).
type inflightReceiver struct {
	srv        *httptest.Server
	mu         sync.Mutex
	inflight   map[string]int
	deliveries map[string]int
	overlaps   int
	posts      int
}

func newInflightReceiver(t *testing.T) *inflightReceiver {
	r := &inflightReceiver{inflight: map[string]int{}, deliveries: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		id := req.Header.Get("X-F2FPay-Event-Id")
		r.mu.Lock()
		r.posts++
		r.deliveries[id]++
		r.inflight[id]++
		if r.inflight[id] > 1 {
			r.overlaps++
		}
		r.mu.Unlock()
		time.Sleep(time.Duration(2+mrand.IntN(10)) * time.Millisecond) // long enough to overlap a twin
		r.mu.Lock()
		r.inflight[id]--
		r.mu.Unlock()
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// snapshot returns deliveries per id, overlapping deliveries and all POSTs.
func (r *inflightReceiver) snapshot() (map[string]int, int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.deliveries))
	for k, v := range r.deliveries {
		out[k] = v
	}
	return out, r.overlaps, r.posts
}
