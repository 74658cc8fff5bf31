package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/f2fpay/f2fpay/internal/app"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

const testAppID = "2021000000000001"

// keys are two RSA-2048 pairs: the app's, and a wrong one.
var keys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return ks, err
		}
		ks[i] = k
	}
	return ks, nil
})

func privPEM(k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pubPEM(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// bundle is a running gateway (internal/app, SQLite) whose Alipay is the sandbox on a
// server of its own, and the serve configuration that describes both.
type bundle struct {
	dir      string
	sb       *sandbox.Sandbox
	sbURL    string // the sandbox server's base URL
	cfg      config.Config
	key, bad *rsa.PrivateKey // the app's key pair; a pair nobody registered
}

// setup starts the sandbox and the gateway; t.Cleanup stops both.
func setup(t *testing.T) *bundle {
	t.Helper()
	ks, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{dir: t.TempDir(), key: ks[0], bad: ks[1]}
	var sbh atomic.Pointer[sandbox.Sandbox]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sbh.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	b.sbURL = srv.URL
	if b.sb, err = sandbox.New(sandbox.Config{DataDir: filepath.Join(b.dir, "sandbox"), BaseURL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	sbh.Store(b.sb)
	t.Cleanup(b.sb.Close)
	if err := b.sb.RegisterApp(testAppID, pubPEM(&b.key.PublicKey)); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.cfg = config.Config{PublicURL: "http://" + ln.Addr().String(), Database: "sqlite:" + filepath.Join(b.dir, "f2fpay.db"),
		MasterKey: secretbox.NewKey(), Alipay: config.AlipayConfig{AppID: testAppID, PrivateKey: privPEM(b.key),
			AppPublicKey: pubPEM(&b.key.PublicKey), AlipayPublicKey: b.sb.AlipayPublicKeyPEM(), Gateway: srv.URL + "/sandbox/gateway.do"}}
	a, err := app.New(t.Context(), app.Options{Config: b.cfg, Listener: ln, NoWorkers: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	return b
}

// run runs doctor on the bundle's configuration after change.
func (b *bundle) run(t *testing.T, change func(c *config.Config, o *Options)) []Result {
	t.Helper()
	c := b.cfg
	o := Options{Config: &c}
	if change != nil {
		change(&c, &o)
	}
	rs := Run(t.Context(), o)
	var out bytes.Buffer
	Print(&out, rs)
	t.Logf("doctor:\n%s", out.String())
	return rs
}

// find returns the result of the named check, failing the test when there is none.
func find(t *testing.T, rs []Result, name string) Result {
	t.Helper()
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %q check among %d results", name, len(rs))
	return Result{}
}

// want checks one result's status and that its detail (and fix, when it fails) say what
// they should.
func want(t *testing.T, rs []Result, name string, st Status, detail ...string) Result {
	t.Helper()
	r := find(t, rs, name)
	if r.Status != st {
		t.Errorf("%s: %s %s, want %s", name, r.Status.Mark(), r.Detail, st.Mark())
	}
	for _, s := range detail {
		if !strings.Contains(r.Detail+" fix: "+r.Fix, s) {
			t.Errorf("%s: %q (fix %q) does not say %q", name, r.Detail, r.Fix, s)
		}
	}
	if st >= Warn && r.Fix == "" {
		t.Errorf("%s: %s without a fix", name, st.Mark())
	}
	return r
}

// TestHealthy: a configuration that works passes every check; the same on a loopback
// public_url over plain http warns when it is not a demo's.
func TestHealthy(t *testing.T) {
	b := setup(t)
	rs := b.run(t, func(_ *config.Config, o *Options) { o.Local = true })
	for _, r := range rs {
		if r.Status != OK {
			t.Errorf("%s %s: %s", r.Status.Mark(), r.Name, r.Detail)
		}
	}
	for _, name := range []string{"configuration", "app key pair", "database", "migrations", "gateway", "clock", "public_url", "/health", "file modes"} {
		find(t, rs, name)
	}
	want(t, rs, "gateway", OK, "ACQ.TRADE_NOT_EXIST")
	if Failed(rs) {
		t.Error("Failed on a healthy configuration")
	}
	rs = b.run(t, nil)
	want(t, rs, "public_url", Warn, "loopback", "cannot reach")
	if Failed(rs) {
		t.Error("a warning failed the run")
	}
}

// TestPrint: one line per check, the fix under each that fails or warns, then a count.
func TestPrint(t *testing.T) {
	var out bytes.Buffer
	Print(&out, []Result{
		{Name: "a", Status: OK, Detail: "fine"},
		{Name: "longer", Status: Fail, Detail: "broken", Fix: "mend it"},
		{Name: "c", Status: Warn, Detail: "soon", Fix: "renew"},
		{Name: "d", Status: Skip, Detail: "not run"},
	})
	want := "✓ a       fine\n✗ longer  broken\n          fix: mend it\n! c       soon\n          fix: renew\n- d       not run\n" +
		"4 checks: 1 passed, 1 warning, 1 failed, 1 skipped\n"
	if out.String() != want {
		t.Errorf("Print:\n%s\nwant\n%s", out.String(), want)
	}
	if !Failed([]Result{{Status: Warn}, {Status: Fail}}) || Failed([]Result{{Status: Warn}, {Status: Skip}}) {
		t.Error("Failed must count failures only")
	}
}
