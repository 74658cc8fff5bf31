package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/f2fpay/f2fpay/internal/app"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// appFlags collects repeated --app APP_ID=PUBLIC_KEY_FILE.
type appFlags []string

func (a *appFlags) String() string     { return strings.Join(*a, ",") }
func (a *appFlags) Set(v string) error { *a = append(*a, v); return nil }

func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9090", "address to listen on")
	dataDir := fs.String("data-dir", "", "directory keeping the simulator's key pair and apps (default: memory only)")
	scale := fs.Float64("time-scale", 1, "run notification retries and expiry N times faster")
	strict := fs.Bool("strict-timestamp", false, "refuse request timestamps more than 15 min from Asia/Shanghai time")
	var apps appFlags
	fs.Var(&apps, "app", "register APP_ID=PUBLIC_KEY_FILE (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *scale < 1 {
		return fail(stderr, "sandbox: --time-scale must be at least 1")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail(stderr, "sandbox: %v", err)
	}
	log := newLogger(stderr, "text")
	base := "http://" + ln.Addr().String()
	sb, err := sandbox.New(sandbox.Config{DataDir: *dataDir, TimeScale: *scale, StrictTimestamp: *strict, BaseURL: base, Logger: log})
	if err != nil {
		ln.Close()
		return fail(stderr, "sandbox: %v", err)
	}
	defer sb.Close()
	for _, a := range apps {
		id, file, ok := strings.Cut(a, "=")
		if !ok {
			ln.Close()
			return fail(stderr, "sandbox: --app wants APP_ID=PUBLIC_KEY_FILE, got %q", a)
		}
		key, err := os.ReadFile(file)
		if err == nil {
			err = sb.RegisterApp(id, string(key))
		}
		if err != nil {
			ln.Close()
			return fail(stderr, "sandbox: app %s: %v", id, err)
		}
	}
	srv := app.NewServer(sb, log)
	fmt.Fprintf(stdout, "f2fpay sandbox listening on %s\n"+
		"  v2 gateway:  %s/sandbox/gateway.do  (method=alipay.trade.precreate, biz_content, sign)\n"+
		"  v3 endpoint: %s/sandbox  (POST %s/sandbox/v3/alipay/trade/precreate, JSON body, authorization: ALIPAY-SHA256withRSA)\n"+
		"  public key:  %s/sandbox/api/alipay-public-key  (both protocols: docs/sandbox.md)\n", base, base, base, base, base)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fail(stderr, "sandbox: %v", err)
	case <-ctx.Done():
	}
	_ = srv.Close()
	return 0
}
