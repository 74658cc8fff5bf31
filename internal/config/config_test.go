package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f2fpay.yaml")
	os.WriteFile(path, []byte(`
listen: 0.0.0.0:8080
public_url: https://pay.example.com
database: sqlite:/var/lib/f2fpay/f2fpay.db
alipay:
  app_id: "2021000000000001"
  gateway: sandbox
  timeout: 3s
notify:
  confirm_with_query: false
webhooks:
  schedule: [1s, 1m]
metrics:
  listen: 127.0.0.1:9464
shutdown:
  drain: 5s
database_pool:
  max_conns: 8
trusted_proxies: [127.0.0.1]
`), 0o600)
	c, err := Load(path, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:8080" || c.Alipay.AppID != "2021000000000001" || c.Alipay.Timeout != 3*time.Second ||
		c.ConfirmWithQuery() || len(c.Webhooks.Schedule) != 2 || c.Metrics.Listen != "127.0.0.1:9464" ||
		c.Shutdown.Drain != 5*time.Second || c.DatabasePool.MaxConns != 8 || c.TrustedProxies[0] != "127.0.0.1" {
		t.Fatalf("loaded %+v", c)
	}
	if c.Alipay.GatewayURL() != AlipaySandboxGateway {
		t.Fatalf("gateway sandbox resolved to %q", c.Alipay.GatewayURL())
	}

	os.WriteFile(path, []byte("listen: x\nlisten_addr: y\n"), 0o600)
	if _, err := Load(path, envOf(nil)); err == nil || !strings.Contains(err.Error(), "listen_addr") {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), envOf(nil)); err == nil {
		t.Fatal("a missing config file loaded")
	}
	os.WriteFile(path, nil, 0o600)
	if c, err := Load(path, envOf(nil)); err != nil || c.Listen != "" {
		t.Fatalf("empty file: %+v %v", c, err)
	}
}

func TestDefaults(t *testing.T) {
	var c Config
	if !c.ConfirmWithQuery() || c.Shutdown.StopTimeout() != DefaultShutdownTimeout || c.Alipay.GatewayURL() != "" {
		t.Fatalf("zero config: confirm %v, stop %v, gateway %q", c.ConfirmWithQuery(), c.Shutdown.StopTimeout(), c.Alipay.GatewayURL())
	}
	c.Alipay.Gateway = "http://127.0.0.1:9090/sandbox/gateway.do"
	if c.Alipay.GatewayURL() != c.Alipay.Gateway {
		t.Fatalf("explicit gateway: %q", c.Alipay.GatewayURL())
	}
	c.Alipay.Gateway = "production"
	if c.Alipay.GatewayURL() != "" {
		t.Fatalf("production: %q", c.Alipay.GatewayURL())
	}
}

func TestUseDataDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "master.key"), []byte("a2V5"), 0o600)
	c := &Config{DataDir: dir}
	if err := c.UseDataDir(); err != nil {
		t.Fatal(err)
	}
	if c.Database != "sqlite:"+filepath.Join(dir, "f2fpay.db") || c.MasterKey != "a2V5" {
		t.Fatalf("from data dir: %+v", c)
	}
	c = &Config{DataDir: dir, Database: "postgres://db/x", MasterKey: "given"}
	if err := c.UseDataDir(); err != nil || c.Database != "postgres://db/x" || c.MasterKey != "given" {
		t.Fatalf("given settings were replaced: %+v %v", c, err)
	}
	if err := (&Config{DataDir: t.TempDir()}).UseDataDir(); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("data dir without master.key: %v", err)
	}
	t.Chdir(t.TempDir()) // no ./f2fpay-data here
	if err := (&Config{}).UseDataDir(); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("nothing named: %v", err)
	}
}

// TestReconcileTimeOfDay: reconcile.at is HH:MM on a 24-hour clock, 10:00 when unset.
func TestReconcileTimeOfDay(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 10 * time.Hour, "10:00": 10 * time.Hour,
		"09:30": 9*time.Hour + 30*time.Minute, " 0:05": 5 * time.Minute, "23:59": 23*time.Hour + 59*time.Minute} {
		if got, err := (ReconcileConfig{At: in}).TimeOfDay(); err != nil || got != want {
			t.Errorf("TimeOfDay(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"24:00", "10", "10:5", "ten:00", "10:60", "-1:00"} {
		if _, err := (ReconcileConfig{At: bad}).TimeOfDay(); err == nil {
			t.Errorf("TimeOfDay(%q) accepted", bad)
		}
	}
}
