package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/f2fpay/f2fpay/internal/app"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
)

// served is what the server process tells the load generator, as one JSON line on stdout.
type served struct {
	URL         string `json:"url"`               // the gateway, with the sandbox under /sandbox
	AppID       string `json:"app_id"`            // the merchant API client
	Secret      string `json:"secret"`            // its API secret (a throwaway of this run)
	AlipayAppID string `json:"alipay_app"`        // the Alipay app registered with the sandbox
	PrivateKey  string `json:"private_key"`       // that app's key, for the bare SDK loop
	AlipayKey   string `json:"alipay_key"`        // the sandbox's public key
	PID         int    `json:"pid"`               // whose RSS the generator reads
	Database    string `json:"database"`          // sqlite or postgres
	Log         string `json:"-"`                 // the server's log file, set by the generator
	DBPath      string `json:"db_path,omitempty"` // the SQLite file
	Schema      string `json:"schema,omitempty"`  // the PostgreSQL schema
}

// serve is the server process: the real gateway built by internal/app, with the sandbox
// as Alipay mounted on it, on a loopback port, SQLite in dir or PostgreSQL at pgURL in a
// schema of its own (dropped at the end). Rate limits are off: the benchmark measures the
// cost of the write path, not the limiter (bench/ measures that). The workers stay off, so
// that only the requests measured load it (the reconciler would otherwise query every order
// of the run after 30 s). It stops on SIGINT/SIGTERM.
func serve(db, dir, pgURL, profile, memProfile string, out io.Writer) error {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	srv, stop, err := start(ctx, db, dir, pgURL, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	line, _ := json.Marshal(srv)
	fmt.Fprintf(out, "%s\n", line)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	if memProfile != "" {
		if err := writeHeap(memProfile); err != nil {
			return err
		}
	}
	return stop()
}

// writeHeap writes the heap profile to path and the runtime's memory statistics, which
// say where the generator's RSS figures come from, to path.txt.
func writeHeap(path string) error {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	stats := fmt.Sprintf("memstats: sys %d MB, heap in use %d MB, heap idle %d MB (released %d MB), stacks %d MB, goroutines %d, GC target %d MB\n",
		m.Sys>>20, m.HeapInuse>>20, m.HeapIdle>>20, m.HeapReleased>>20, m.StackInuse>>20, runtime.NumGoroutine(), m.NextGC>>20)
	if err := os.WriteFile(path+".txt", []byte(stats), 0o644); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.WriteHeapProfile(f)
}

// start builds and starts the gateway of serve (or of a benchmark in this process) and
// registers the merchant the load generator signs as. stop drains and stops it, and drops
// the PostgreSQL schema.
func start(ctx context.Context, db, dir, pgURL string, log *slog.Logger) (served, func() error, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only
	if err != nil {
		return served{}, nil, err
	}
	url := "http://" + ln.Addr().String()
	priv, pub, err := appKeyPair()
	if err != nil {
		ln.Close()
		return served{}, nil, err
	}
	const alipayApp = "2021000000000001"
	// TimeScale 60: a notification the gateway could not take in time (the sandbox waits 15 s)
	// comes again after 4 s instead of 4 min, so that the paid phase ends and its figure
	// counts the retries it took.
	sb, err := sandbox.New(sandbox.Config{BaseURL: url, TimeScale: 60})
	if err != nil {
		ln.Close()
		return served{}, nil, err
	}
	if err := sb.RegisterApp(alipayApp, pub); err != nil {
		sb.Close()
		ln.Close()
		return served{}, nil, err
	}
	cfg := config.Config{
		PublicURL: url, MasterKey: secretbox.NewKey(),
		RateLimit: config.RateLimitConfig{ClientRate: -1, IPRate: -1, NotifyRate: -1, AuthFailRate: -1, NotifyFailRate: -1},
		Alipay: config.AlipayConfig{AppID: alipayApp, PrivateKey: priv, AlipayPublicKey: sb.AlipayPublicKeyPEM(),
			Gateway: url + "/sandbox/gateway.do", SellerID: sb.SellerID(alipayApp)},
	}
	var schema string
	switch db {
	case "sqlite":
		cfg.Database = "sqlite:" + filepath.Join(dir, "perf.db")
	case "postgres":
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema = "perf_" + hex.EncodeToString(b)
		cfg.Database, cfg.DatabasePool.Schema = pgURL, schema
	default:
		sb.Close()
		ln.Close()
		return served{}, nil, fmt.Errorf("unknown database %q", db)
	}
	cleanup := func() {
		sb.Close()
		if schema != "" {
			_ = postgres.DropSchema(context.Background(), pgURL, schema)
		}
	}
	a, err := app.New(ctx, app.Options{Listener: ln, Sandbox: sb, NoWorkers: true, Config: cfg, Logger: log})
	if err != nil {
		cleanup()
		return served{}, nil, err
	}
	stop := func() error {
		defer cleanup()
		sctx, cancel := context.WithTimeout(context.Background(), config.DefaultShutdownTimeout)
		defer cancel()
		return a.Stop(sctx)
	}
	if err := a.Start(ctx); err != nil {
		_ = stop()
		return served{}, nil, err
	}
	m, secret, err := a.Service().CreateMerchant(ctx, "perf", "")
	if err != nil {
		_ = stop()
		return served{}, nil, err
	}
	return served{URL: url, AppID: m.AppID, Secret: secret, AlipayAppID: alipayApp,
		PrivateKey: priv, AlipayKey: sb.AlipayPublicKeyPEM(), PID: os.Getpid(), Database: db,
		DBPath: strings.TrimPrefix(cfg.Database, "sqlite:"), Schema: schema}, stop, nil
}

func appKeyPair() (string, string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), nil
}
