package attack

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/testbin"
)

// binary is the f2fpay binary built once by TestMain.
var binary string

func TestMain(m *testing.M) { testbin.Main(m.Run, "../..", &binary) }

// demoState is the {data-dir}/demo.json the demo writes for scripts.
type demoState struct {
	BaseURL       string `json:"base_url"`
	AppID         string `json:"app_id"`
	Secret        string `json:"secret"`
	WebhookSecret string `json:"webhook_secret"`
	AdminPassword string `json:"admin_password"`
	AlipayAppID   string `json:"alipay_app_id"`
}

// proc is one running `f2fpay demo` child.
type proc struct {
	cmd   *exec.Cmd
	state demoState
	done  chan struct{}
}

// demoEnv keeps the per-IP and per-client limits out of the way of the suite's own
// traffic (all of it from 127.0.0.1) while leaving the limiter in the chain; the limits
// themselves are proven by internal/httpapi's tests and by bench/. The budget of failed
// authentications stays at its default: the round-2 attacks test it. 127.0.0.1 is a
// trusted proxy, so that those attacks name their source in X-Forwarded-For. The budget of
// unverified notifications is tested by the flood on a demo of its own (floodAttacks).
var demoEnv = []string{
	"F2FPAY_RATE_LIMIT_IP_BURST=100000", "F2FPAY_RATE_LIMIT_NOTIFY_BURST=100000", "F2FPAY_RATE_LIMIT_CLIENT_BURST=100000",
	"F2FPAY_RATE_LIMIT_NOTIFY_FAIL_BURST=100000", "F2FPAY_TRUSTED_PROXIES=127.0.0.1",
}

// startDemo runs the demo on a free loopback port with its workers off (--workers=false),
// so that nothing but our requests writes to the database, and waits until it serves.
// Its stdout and stderr (every log line) go to logs.
func startDemo(t *testing.T, dir string, logs *testbin.Buffer) *proc {
	t.Helper()
	return startDemoWith(t, dir, logs, demoEnv)
}

// startDemoWith is startDemo with env (F2FPAY_…=…) instead of demoEnv: the attacks that
// need the real limits start a demo of their own.
func startDemoWith(t *testing.T, dir string, logs *testbin.Buffer, env []string) *proc {
	t.Helper()
	stdout := &testbin.Buffer{}
	cmd := exec.Command(binary, "demo", "--listen", "127.0.0.1:0", "--data-dir", dir, "--workers=false")
	cmd.Env = append(os.Environ(), env...)
	// stdout is the banner, which prints the demo secret on purpose (README.md); stderr is
	// every log line, which must hold none.
	cmd.Stdout, cmd.Stderr = stdout, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stdout.String(), "f2fpay demo is running") {
		select {
		case <-p.done:
			t.Fatalf("demo exited early:\n%s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop(t)
			t.Fatalf("demo did not start within 60 s:\n%s", logs.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "demo.json"))
	if err == nil {
		err = json.Unmarshal(b, &p.state)
	}
	if err != nil {
		p.stop(t)
		t.Fatal(err)
	}
	if resp, err := http.Get(p.state.BaseURL + "/health"); err != nil || resp.StatusCode != 200 {
		p.stop(t)
		t.Fatalf("/health: %v", err)
	} else {
		resp.Body.Close()
	}
	return p
}

// stop ends the child as Ctrl-C would and waits for it.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Error("demo did not stop within 20 s of SIGINT")
	}
}

// runBinary executes the binary once (client create, …) and returns its stdout.
func runBinary(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("f2fpay %v: %v\n%s", args, err, out)
	}
	return string(out)
}
