package attack

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestSecurity runs the real program, drives a genuine payment flow through it (validated
// against the OpenAPI document), then the attack table, then reads its logs for secrets.
func TestSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the f2fpay binary; skipped with -short")
	}
	w := setupWorld(t)
	t.Run("OpenAPIResponses", func(t *testing.T) { checkOpenAPI(t, w) })
	t.Run("Attacks", func(t *testing.T) { runAttacks(t, w) })
	t.Run("NoSecretsInLogs", func(t *testing.T) { checkLogs(t, w) })
}

// setupWorld sends one genuine request (kept for replay), restarts the program, and
// builds the orders the attacks aim at with genuine requests.
func setupWorld(t *testing.T) *world {
	w := &world{t: t, dir: t.TempDir(), logs: &testbin.Buffer{}}
	w.p = startDemo(t, w.dir, w.logs)
	w.base, w.a = w.p.state.BaseURL, cred{w.p.state.AppID, w.p.state.Secret}
	replay := mreq{method: http.MethodPost, path: pathCreate, body: createBody("atk_r0", "1.00"),
		ts: strconv.FormatInt(time.Now().Unix(), 10), nonce: client.NewNonce()}
	replay.sig = client.Sign(w.a.secret, replay.method, replay.path, "", replay.ts, replay.nonce, replay.body)
	if got := w.merchant(replay); got != "201 ok" {
		t.Fatalf("genuine request to replay later: %s", got)
	}
	w.p.stop(t)
	w.p = startDemo(t, w.dir, w.logs) // the replay must also fail after a restart
	t.Cleanup(func() { w.p.stop(t) })
	w.base = w.p.state.BaseURL
	w.replay = replay

	out := runBinary(t, "client", "create", "--name", "attacker-b", "--data-dir", w.dir)
	m := regexp.MustCompile(`app id: (\S+)\nsecret: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("client create: %s", out)
	}
	w.b = cred{m[1], m[2]}
	w.alipay = readPrivateKey(t, filepath.Join(w.dir, "sandbox", "alipay_private_key.pem"))
	var err error
	if w.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	genuineFlow(t, w)
	return w
}

// genuineFlow is the full payment flow of docs/api.md through the Go client, with every
// answer recorded for the OpenAPI check.
func genuineFlow(t *testing.T, w *world) {
	ctx := context.Background()
	w.recorder = &recorder{}
	hc := &http.Client{Transport: w.recorder, Timeout: 30 * time.Second}
	a := client.New(w.base, w.a.appID, w.a.secret, client.WithHTTPClient(hc))
	b := client.New(w.base, w.b.appID, w.b.secret, client.WithHTTPClient(hc))
	w.pending, w.paid, w.ofB = "atk_pending", "atk_paid", "atk_of_b"
	inj := "'; DROP TABLE orders;-- {{.Secret}} <script>alert(1)</script>"
	// A subject may not hold / = & (Alipay refuses them, docs/api.md): the same
	// injection with an unclosed tag.
	subjectInj := "'; DROP TABLE orders;-- {{.Secret}} <script>alert(1)<script>"
	for _, c := range []struct {
		cl      *client.Client
		no, sub string
	}{{a, w.pending, "pending"}, {a, w.paid, "paid"}, {b, w.ofB, "of b"}, {a, "atk_inj", subjectInj}, {a, "atk_closed", "closed"}} {
		p, created, err := c.cl.Create(ctx, client.CreateRequest{OutTradeNo: c.no, TotalAmount: "9.90", Subject: c.sub,
			Metadata: map[string]string{"note": inj}})
		if err != nil || !created || p.QRCode == "" || p.Subject != c.sub || p.Metadata["note"] != inj {
			t.Fatalf("create %s: %v %+v", c.no, err, p)
		}
	}
	if err := w.sandbox("/sandbox/api/pay", map[string]string{"app_id": w.p.state.AlipayAppID, "out_trade_no": w.paid}); err != nil {
		t.Fatalf("sandbox pay: %v", err)
	}
	testutil.WaitFor(t, 0, "the order to be paid", func() bool {
		p, err := a.Query(ctx, w.paid, client.QueryOptions{})
		return err == nil && p.Status == "paid"
	})
	if r, err := a.Refund(ctx, client.RefundRequest{OutTradeNo: w.paid, RefundNo: "atk-rf1", RefundAmount: "1.00"}); err != nil || r.Status == "failed" {
		t.Fatalf("refund: %v %+v", err, r)
	}
	steps := []func() error{
		func() error { _, err := a.RefundQuery(ctx, w.paid, "atk-rf1"); return err },
		func() error { _, err := a.Query(ctx, w.pending, client.QueryOptions{Sync: true}); return err },
		func() error { _, err := a.Close(ctx, "atk_closed"); return err },
		func() error { _, err := a.List(ctx, client.ListOptions{Limit: 2}); return err },
		func() error { _, err := a.Events(ctx, 0, 10); return err },
		func() error { _, err := a.Query(ctx, "atk-nosuch", client.QueryOptions{}); return expect(err, 404) },
		func() error {
			_, _, err := a.Create(ctx, client.CreateRequest{OutTradeNo: w.paid, TotalAmount: "1.00", Subject: "x"})
			return expect(err, 409)
		},
		func() error {
			_, _, err := a.Create(ctx, client.CreateRequest{OutTradeNo: "atk_x", TotalAmount: "1.001", Subject: "x"})
			return expect(err, 400)
		},
		func() error {
			_, err := a.Refund(ctx, client.RefundRequest{OutTradeNo: w.pending, RefundNo: "atk-rf-x", RefundAmount: "1.00"})
			return expect(err, 422)
		},
		func() error {
			p, err := a.Query(ctx, "atk_inj", client.QueryOptions{})
			if err == nil && (p.Subject != subjectInj || p.Metadata["note"] != inj) {
				return fmt.Errorf("injection strings not returned verbatim: %+v", p)
			}
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("flow step %d: %v", i, err)
		}
	}
	w.waitSettled(t)
	w.genuine = w.genuineNotification(t, w.paid)
}

// expect turns the wanted API error into nil and anything else into an error.
func expect(err error, status int) error {
	if ce, ok := err.(*client.Error); ok && ce.Status == status {
		return nil
	}
	return fmt.Errorf("want a %d error, got %v", status, err)
}

// runAttacks sends every input, prints the table, and compares the database dumps.
func runAttacks(t *testing.T, w *world) {
	before := dumpDB(t, w.dir)
	attacks := append(merchantAttacks(w, w.replay), notifyAttacks(w)...)
	attacks = append(attacks, round2Attacks(w)...)
	seen := map[string]bool{}
	var tw strings.Builder
	tab := tabwriter.NewWriter(&tw, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tab, "#\tINPUT\tTARGET\tEXPECTED\tGOT\t")
	accepted, wrong, notifies := 0, 0, 0
	for i, a := range attacks {
		if seen[a.target+" "+a.name] {
			t.Fatalf("input %q listed twice", a.name)
		}
		seen[a.target+" "+a.name] = true
		got := a.run(w)
		mark := ""
		if strings.HasPrefix(got, "2") && got != "200 failure" {
			accepted++
			mark = "  <- ACCEPTED"
		} else if got != a.expect {
			wrong++
			mark = "  <- unexpected"
		}
		if a.target == "notify" && got != "429 failure" {
			notifies++
		}
		fmt.Fprintf(tab, "%d\t%s\t%s\t%s\t%s%s\t\n", i+1, a.name, a.target, a.expect, got, mark)
	}
	tab.Flush()
	after := dumpDB(t, w.dir)
	added, removed := before.diff(after)
	audit, calls, nonces := added["notifications"], added["channel_calls"], added["nonces"]
	delete(added, "notifications")
	delete(added, "channel_calls")
	delete(added, "nonces")
	dropAuditSequences(added, removed)
	for _, r := range calls { // the confirming queries of forged notifications: reads only
		if !strings.Contains(r, "method=alipay.trade.query |") && !strings.Contains(r, "method=alipay.trade.fastpay.refund.query |") {
			t.Errorf("an attack made a call to Alipay that is not a query: %.200s", r)
		}
	}
	changes := len(removed)
	for _, rows := range added {
		changes += len(rows)
	}
	forgedNonces := 0
	for _, r := range nonces {
		key, _, _ := strings.Cut(r, " | expires_at=")
		if !w.authentic[key] {
			forgedNonces++
			t.Errorf("a request not signed with the real secret recorded its nonce: %s", r)
		}
	}
	t.Logf("attack table:\n%s", tw.String())
	t.Logf("%d distinct inputs: %d accepted, %d answered other than expected; database %d rows before, %d after; "+
		"%d state changes in %d tables; audit rows added: %d notifications (each refused), %d Alipay queries; "+
		"%d nonces recorded, all by correctly signed (then refused) requests, %d by forged ones", len(attacks), accepted, wrong,
		before.rows(), after.rows(), changes, len(before), len(audit), len(calls), len(nonces), forgedNonces)
	if len(attacks) < 60 || accepted != 0 || wrong != 0 {
		t.Errorf("want >= 60 inputs, 0 accepted, 0 unexpected answers")
	}
	if changes != 0 {
		t.Errorf("state changed: added %v removed %v", added, removed)
	}
	if len(audit) != notifies {
		t.Errorf("%d audit rows for %d notifications: every notification must be audited", len(audit), notifies)
	}
	for _, r := range audit {
		if !strings.Contains(r, "outcome=refused: ") {
			t.Errorf("audit row not refused: %.300s", r)
		}
	}
}

// waitSettled waits until the simulator has no notification left unacknowledged and two
// dumps 300 ms apart agree, so that the before-dump is not racing a late notification.
func (w *world) waitSettled(t *testing.T) {
	testutil.WaitFor(t, 0, "the program to settle", func() bool {
		if !w.notificationsAcknowledged() {
			return false
		}
		d1 := dumpDB(t, w.dir)
		time.Sleep(300 * time.Millisecond) // two dumps apart in time, not a poll
		added, removed := d1.diff(dumpDB(t, w.dir))
		return len(added)+len(removed) == 0
	})
}

func (w *world) genuineNotification(t *testing.T, outTradeNo string) url.Values {
	for _, row := range dumpDB(t, w.dir)["notifications"] {
		if strings.Contains(row, "out_trade_no="+outTradeNo+" |") && strings.Contains(row, "outcome=accepted") {
			raw := regexp.MustCompile(`raw=(\S+) \|`).FindStringSubmatch(row)
			if raw != nil {
				f, err := url.ParseQuery(raw[1])
				if err == nil && f.Get("sign") != "" {
					w.remember(f.Get("sign"))
					return f
				}
			}
		}
	}
	t.Fatalf("no accepted notification audited for %s", outTradeNo)
	return nil
}

// dropAuditSequences forgets the AUTOINCREMENT counters of the append-only audit tables,
// which move with their rows.
func dropAuditSequences(added, removed map[string][]string) {
	keep := func(rows []string) []string {
		var out []string
		for _, r := range rows {
			if !strings.HasPrefix(r, "name=notifications |") && !strings.HasPrefix(r, "name=channel_calls |") {
				out = append(out, r)
			}
		}
		return out
	}
	for _, m := range []map[string][]string{added, removed} {
		if rows := keep(m["sqlite_sequence"]); len(rows) > 0 {
			m["sqlite_sequence"] = rows
		} else {
			delete(m, "sqlite_sequence")
		}
	}
}
