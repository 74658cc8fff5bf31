package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// doctorOutput runs the real binary's `doctor` with args and env (F2FPAY_* of the test's
// own environment left out) and returns its exit status and output.
func doctorOutput(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"doctor"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "F2FPAY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	t.Logf("f2fpay doctor %s:\n%s", strings.Join(args, " "), out)
	return cmd.ProcessState.ExitCode(), string(out)
}

// checkLines are the lines of doctor's output that report a check, by their mark.
func checkLines(out string) map[string][]string {
	lines := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		for _, mark := range []string{"✓", "✗", "!", "-"} {
			if strings.HasPrefix(l, mark+" ") {
				lines[mark] = append(lines[mark], l)
			}
		}
	}
	return lines
}

// TestDoctorDemo: against a running demo's own configuration and sandbox, every check of
// the real binary passes; once the demo is stopped, the gateway and /health fail.
func TestDoctorDemo(t *testing.T) {
	dir := t.TempDir()
	demo := exec.Command(binary(t), "demo", "--listen", "127.0.0.1:0", "--data-dir", dir)
	var out, errOut testbin.Buffer
	demo.Stdout, demo.Stderr = &out, &errOut
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = demo.Wait(); close(exited) }()
	stop := func() { _ = demo.Process.Kill(); <-exited }
	t.Cleanup(stop)
	testutil.WaitFor(t, 0, "the demo to start", func() bool {
		select {
		case <-exited:
			t.Fatalf("demo exited:\n%s", errOut.String())
		default:
		}
		return strings.Contains(out.String(), "f2fpay demo is running")
	})
	code, report := doctorOutput(t, nil, "--data-dir", dir)
	lines := checkLines(report)
	if code != 0 || len(lines["✓"]) < 9 || len(lines["✗"])+len(lines["!"])+len(lines["-"]) > 0 {
		t.Fatalf("doctor against the demo: exit %d, %d ✓ lines, others %v", code, len(lines["✓"]), lines)
	}
	for _, name := range []string{"configuration", "app key pair", "database", "migrations", "gateway", "clock", "public_url", "/health", "file modes"} {
		if !strings.Contains(report, "✓ "+name+" ") {
			t.Errorf("no passing %q check", name)
		}
	}
	stop()
	code, report = doctorOutput(t, nil, "--data-dir", dir)
	if code != 1 || !strings.Contains(report, "✗ gateway") || !strings.Contains(report, "✗ /health") || !strings.Contains(report, "✓ database") {
		t.Fatalf("doctor against the stopped demo: exit %d\n%s", code, report)
	}
}

// TestDoctorBroken: a serve configuration with a wrong app id and an unreachable database
// fails (exit 1), each ✗ followed by its fix.
func TestDoctorBroken(t *testing.T) {
	_, env := serveEnv(t, t.TempDir())
	env["F2FPAY_ALIPAY_APP_ID"] = "2021000000009999"
	env["F2FPAY_DATABASE"] = "postgres://f2fpay:secret@127.0.0.1:1/f2fpay?sslmode=disable&connect_timeout=5"
	code, report := doctorOutput(t, env)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, s := range []string{"✗ gateway", "isv.invalid-app-id", "✗ database", "PostgreSQL 127.0.0.1:1/f2fpay"} {
		if !strings.Contains(report, s) {
			t.Errorf("the report does not say %q", s)
		}
	}
	if strings.Contains(report, "secret@") {
		t.Error("the report shows the database password")
	}
	lines := strings.Split(report, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "✗ ") && (i+1 >= len(lines) || !strings.Contains(lines[i+1], "fix: ")) {
			t.Errorf("%q has no fix under it", l)
		}
	}
}

// TestDoctorUsage: both sources at once is a usage error; a configuration file that
// cannot be read is a failed check.
func TestDoctorUsage(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(context.Background(), []string{"doctor", "--config", "a.yaml", "--data-dir", "d"}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "usage: f2fpay doctor") {
		t.Errorf("both flags: exit %d, %q", code, errOut.String())
	}
	path := filepath.Join(t.TempDir(), "f2fpay.yaml")
	os.WriteFile(path, []byte("alipay:\n  app_idd: x\n"), 0o600)
	out.Reset()
	if code := run(context.Background(), []string{"doctor", "--config", path}, &out, &errOut); code != 1 ||
		!strings.Contains(out.String(), "✗ configuration") || !strings.Contains(out.String(), "app_idd") {
		t.Errorf("unknown key: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"doctor", "--data-dir", t.TempDir()}, &out, &errOut); code != 1 ||
		!strings.Contains(out.String(), "not a demo's data dir") {
		t.Errorf("empty data dir: exit %d\n%s", code, out.String())
	}
}
