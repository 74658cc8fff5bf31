package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// child is an f2fpay process the test runs.
type child struct {
	cmd         *exec.Cmd
	out, errOut testbin.Buffer
	exited      chan struct{}
	serving     servingLog
}

// startServe runs `f2fpay serve` with env and waits until it logs its addresses.
func startServe(t *testing.T, env map[string]string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(binary(t), "serve"), exited: make(chan struct{})}
	c.cmd.Env = os.Environ()
	for k, v := range env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.errOut
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.exited
	})
	testutil.WaitFor(t, 0, "serve to log its addresses", func() bool {
		var ok bool
		c.serving, ok = findServing(c.errOut.String())
		return ok || c.done()
	})
	if c.serving.Listen == "" {
		t.Fatalf("serve did not start:\n%s", c.errOut.String())
	}
	return c
}

func (c *child) done() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

func (c *child) url() string { return "http://" + c.serving.Listen }

// createStream creates orders one after another until the gateway stops answering, and
// records the QR of each that was answered 201.
func createStream(api *client.Client, prefix string, created *sync.Map, errs chan<- error) {
	for i := 0; ; i++ {
		no := fmt.Sprintf("%s_%04d", prefix, i)
		p, ok, err := api.Create(context.Background(), client.CreateRequest{OutTradeNo: no, TotalAmount: "1.00", Subject: "sigterm"})
		var apiErr *client.Error
		switch {
		case err == nil && ok && p.QRCode != "":
			created.Store(no, p.QRCode)
		case errors.As(err, &apiErr):
			errs <- fmt.Errorf("%s answered %v", no, err) // an HTTP answer, but not 201
			return
		default:
			return // no answer: the listener closed (or the connection with it)
		}
	}
}

// TestServeSIGTERMLosesNoCreate: SIGTERM arrives while six clients create orders as fast as
// the (slowed) sandbox lets them, so creates are in flight. serve drains and exits 0; after
// a restart every create that was answered 201 is there with its QR, and no order is half
// made (stored without the QR Alipay gave).
//
// Not parallel: it builds the binary and drives six streams, which is enough load at once.
func TestServeSIGTERMLosesNoCreate(t *testing.T) {
	dir := t.TempDir()
	sb, env := serveEnv(t, dir)
	env["F2FPAY_RATE_LIMIT_CLIENT_RATE"] = "-1"
	env["F2FPAY_SHUTDOWN_DRAIN"] = "300ms"
	sb.SetFaults(sandbox.Faults{Seed: 1, GatewayLatencyMS: 50, Methods: []string{"alipay.trade.precreate"}})
	cmd := exec.Command(binary(t), "client", "create", "--name", "sigterm")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	appID, secret := credential(string(out), "app id: "), credential(string(out), "secret: ")
	if err != nil || appID == "" || secret == "" {
		t.Fatalf("client create: %v\n%s", err, out)
	}

	first := startServe(t, env)
	api := client.New(first.url(), appID, secret)
	var created sync.Map
	errs := make(chan error, 6)
	var streams sync.WaitGroup
	for g := range 6 {
		streams.Add(1)
		go func() { defer streams.Done(); createStream(api, fmt.Sprintf("sig%d", g), &created, errs) }()
	}
	testutil.WaitFor(t, 0, "30 orders created", func() bool { return count(&created) >= 30 || len(errs) > 0 })
	before := count(&created)
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	streams.Wait()
	<-first.exited
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if code := first.cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(first.out.String(), "f2fpay stopped") {
		t.Fatalf("serve exited %d on SIGTERM:\n%s\n%s", code, first.out.String(), first.errOut.String())
	}
	t.Logf("%d creates answered 201, %d of them after SIGTERM was sent", count(&created), count(&created)-before)

	second := startServe(t, env)
	stored := listAll(t, client.New(second.url(), appID, secret))
	created.Range(func(no, qr any) bool {
		if got, ok := stored[no.(string)]; !ok || got != qr {
			t.Errorf("order %s was answered 201 with QR %q; after the restart: present=%v QR %q", no, qr, ok, got)
		}
		return true
	})
	for no, qr := range stored {
		if qr == "" {
			t.Errorf("order %s is stored without its QR: half made", no)
		}
	}
	t.Logf("%d orders stored after the restart", len(stored))
}

func credential(out, prefix string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func count(m *sync.Map) int {
	n := 0
	m.Range(func(any, any) bool { n++; return true })
	return n
}

// listAll pages through the client's orders: out_trade_no → QR.
func listAll(t *testing.T, api *client.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	cursor := ""
	for {
		page, err := api.List(context.Background(), client.ListOptions{Limit: 100, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Data {
			out[p.OutTradeNo] = p.QRCode
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}
