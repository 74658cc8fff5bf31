package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// serveEnv starts a sandbox in this process and returns the F2FPAY_* settings of a serve on
// a random loopback port, with a fresh SQLite database in dir, that uses it as Alipay.
func serveEnv(t *testing.T, dir string) (*sandbox.Sandbox, map[string]string) {
	t.Helper()
	var sbh atomic.Pointer[sandbox.Sandbox]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sbh.Store(sb)
	t.Cleanup(sb.Close)
	keys := filepath.Join(dir, "keys")
	if _, _, err := writeAppKeys(keys); err != nil {
		t.Fatal(err)
	}
	const appID = "2021000000000077"
	if err := sb.RegisterApp(appID, mustRead(t, filepath.Join(keys, appPublicFile))); err != nil {
		t.Fatal(err)
	}
	return sb, map[string]string{
		"F2FPAY_LISTEN": "127.0.0.1:0", "F2FPAY_PUBLIC_URL": "http://127.0.0.1:1", "F2FPAY_LOG_FORMAT": "json",
		"F2FPAY_DATABASE": "sqlite:" + filepath.Join(dir, "f2fpay.db"), "F2FPAY_MASTER_KEY": secretbox.NewKey(),
		"F2FPAY_ALIPAY_APP_ID": appID, "F2FPAY_ALIPAY_PRIVATE_KEY_FILE": filepath.Join(keys, appPrivateFile),
		"F2FPAY_ALIPAY_PUBLIC_KEY": sb.AlipayPublicKeyPEM(), "F2FPAY_ALIPAY_GATEWAY": srv.URL + "/sandbox/gateway.do",
	}
}

// servingLog is the "f2fpay serving" line of a serve's JSON log, once it is there.
type servingLog struct {
	Listen  string `json:"listen"`
	Metrics string `json:"metrics"`
	Version string `json:"version"`
}

func findServing(log string) (servingLog, bool) {
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var l struct {
			Msg string `json:"msg"`
			servingLog
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "f2fpay serving" {
			return l.servingLog, true
		}
	}
	return servingLog{}, false
}

func status(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeMetricsListener: serve answers /metrics on metrics.listen and not on the main
// listener, unless metrics.public puts it there (F2FPAY_METRICS_LISTEN, _PUBLIC).
func TestServeMetricsListener(t *testing.T) {
	for _, public := range []bool{false, true} {
		_, env := serveEnv(t, t.TempDir())
		env["F2FPAY_METRICS_LISTEN"] = "127.0.0.1:0"
		if public {
			env["F2FPAY_METRICS_PUBLIC"] = "true"
		}
		for k, v := range env {
			t.Setenv(k, v)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var out, errOut testbin.Buffer
		done := make(chan int, 1)
		go func() { done <- run(ctx, []string{"serve"}, &out, &errOut) }()
		var s servingLog
		testutil.WaitFor(t, 0, "serve to log its addresses", func() bool {
			var ok bool
			s, ok = findServing(errOut.String())
			return ok || len(done) > 0
		})
		if s.Listen == "" || s.Metrics == "" {
			cancel()
			t.Fatalf("serve did not start or log its metrics address:\n%s", errOut.String())
		}
		if code, body := status(t, s.Metrics); code != 200 || !strings.Contains(body, "f2fpay_build_info{") {
			t.Errorf("public=%v: metrics.listen /metrics: %d\n%.300s", public, code, body)
		}
		want := map[bool]int{false: 404, true: 200}[public]
		if code, _ := status(t, "http://"+s.Listen+"/metrics"); code != want {
			t.Errorf("public=%v: main listener /metrics: %d, want %d", public, code, want)
		}
		cancel()
		if code := <-done; code != 0 || !strings.Contains(out.String(), "f2fpay stopped") {
			t.Fatalf("serve exited %d: %s\n%s", code, out.String(), errOut.String())
		}
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the real f2fpay once for the tests that send it signals.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		var cleanup func()
		binPath, cleanup, binErr = testbin.Build("../..")
		if binErr == nil {
			binCleanup = cleanup
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// binCleanup removes the binary; TestMain calls it.
var binCleanup = func() {}
