package attack

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// Figures of the notification flood (docs/security.md, "Alipay notifications").
const (
	floodCount   = 10000
	floodBody    = 64 << 10 // each forged body is exactly the endpoint's limit
	floodSources = 4
	floodBound   = 5 << 20 // the database may grow by at most this much
)

// floodAttacks: an outsider floods POST /notify/alipay with forged notifications that
// name a real order, from a few addresses, to fill the disk and bury the real ones. It runs
// on a demo of its own with the default limits, so that the growth of its database is the
// flood's alone.
func floodAttacks() []attack {
	return []attack{{name: fmt.Sprintf("%d forged %d KiB notifications from %d addresses, a real one during the flood",
		floodCount, floodBody>>10, floodSources), target: "disk",
		expect: "database grew ≤ 5 MB; the real notification answered success", run: notifyFlood}}
}

func notifyFlood(w *world) string {
	t := w.t
	fw := &world{t: t, dir: t.TempDir(), logs: &testbin.Buffer{}}
	fw.p = startDemoWith(t, fw.dir, fw.logs, []string{"F2FPAY_TRUSTED_PROXIES=127.0.0.1"})
	defer fw.p.stop(t)
	fw.base = fw.p.state.BaseURL
	fw.alipay = readPrivateKey(t, filepath.Join(fw.dir, "sandbox", "alipay_private_key.pem"))
	// The simulator's own deliveries are dropped: the suite sends each real notification
	// itself, signed with the simulator's key as Alipay signs, and times it.
	if err := fw.sandbox("/sandbox/api/faults", map[string]any{"notify_drop": 1}); err != nil {
		t.Fatal(err)
	}
	mc := client.New(fw.base, fw.p.state.AppID, fw.p.state.Secret)
	order := func(no string) {
		if _, _, err := mc.Create(context.Background(), client.CreateRequest{OutTradeNo: no, TotalAmount: "9.90", Subject: "flood"}); err != nil {
			t.Fatalf("create %s: %v", no, err)
		}
	}
	order("flood_target")
	quiet, quietAnswer := fw.realNotification("flood_quiet")
	before := dbBytes(t, fw.dir)

	var sent atomic.Int64
	counts := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 60 * time.Second}
			for i := int(sent.Add(1)) - 1; i < floodCount; i = int(sent.Add(1)) - 1 {
				got := fw.forgedNotification(hc, fmt.Sprintf("198.51.100.%d", 21+(i+g)%floodSources), i)
				mu.Lock()
				counts[got]++
				mu.Unlock()
			}
		}()
	}
	testutil.WaitFor(t, 0, "1000 forged notifications sent", func() bool { return sent.Load() >= 1000 })
	during, duringAnswer := fw.realNotification("flood_during")
	sentAtReal := min(sent.Load(), floodCount)
	wg.Wait()
	took := time.Since(start)
	after := dbBytes(t, fw.dir)
	grew := after - before
	t.Logf("notification flood: %d forged %d-byte notifications from %d addresses in %v, answered %v; "+
		"database (file + WAL, after a checkpoint) %d → %d bytes: grew %d bytes (%.2f MB; bound %d)",
		floodCount, floodBody, floodSources, took.Round(time.Millisecond), counts, before, after, grew, float64(grew)/(1<<20), floodBound)
	t.Logf("real notification: %q in %v without the flood; %q in %v during it (sent after %d forged ones)",
		quietAnswer, quiet.Round(time.Millisecond), duringAnswer, during.Round(time.Millisecond), sentAtReal)
	if grew <= floodBound && duringAnswer == "200 success" && quietAnswer == "200 success" {
		return "database grew ≤ 5 MB; the real notification answered success"
	}
	return fmt.Sprintf("database grew %.1f MB; the real notification answered %q", float64(grew)/(1<<20), duringAnswer)
}

// forgedNotification posts one forged notification for flood_target, padded to exactly
// floodBody bytes, from ip (X-Forwarded-For), and answers "STATUS body".
func (w *world) forgedNotification(hc *http.Client, ip string, i int) string {
	f := url.Values{"notify_type": {"trade_status_sync"}, "notify_id": {fmt.Sprintf("forged%d", i)},
		"app_id": {w.p.state.AlipayAppID}, "out_trade_no": {"flood_target"}, "trade_no": {"2099010122001400000000000009"},
		"trade_status": {"TRADE_SUCCESS"}, "total_amount": {"9.90"}, "sign_type": {"RSA2"},
		"sign": {"Zm9yZ2VkIHNpZ25hdHVyZSBvZiBub3RoaW5n"}}
	body := f.Encode() + "&body="
	body += strings.Repeat("x", floodBody-len(body))
	req, _ := http.NewRequest(http.MethodPost, w.base+"/notify/alipay", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := hc.Do(req)
	if err != nil {
		return "error"
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(answer)))
}

// realNotification creates order no, has the simulator's buyer pay it, and posts the
// notification the simulator made for it (dropped by the fault, re-signed here with the
// simulator's key) from the loopback address, as Alipay would. It returns how long the
// gateway took to answer and the answer.
func (w *world) realNotification(no string) (time.Duration, string) {
	t := w.t
	mc := client.New(w.base, w.p.state.AppID, w.p.state.Secret)
	if _, _, err := mc.Create(context.Background(), client.CreateRequest{OutTradeNo: no, TotalAmount: "9.90", Subject: "real"}); err != nil {
		t.Fatalf("create %s: %v", no, err)
	}
	if err := w.sandbox("/sandbox/api/pay", map[string]string{"app_id": w.p.state.AlipayAppID, "out_trade_no": no}); err != nil {
		t.Fatalf("sandbox pay: %v", err)
	}
	var params map[string]string
	testutil.WaitFor(t, 0, "the simulator's notification of "+no, func() bool {
		resp, err := http.Get(w.base + "/sandbox/api/notifications?out_trade_no=" + no)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var out struct {
			Notifications []struct {
				Params map[string]string `json:"params"`
			} `json:"notifications"`
		}
		if json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Notifications) == 0 {
			return false
		}
		params = out.Notifications[0].Params
		return true
	})
	f := url.Values{}
	for k, v := range params {
		f.Set(k, v)
	}
	body := w.signAs(w.alipay, f).Encode()
	start := time.Now()
	got := w.notify(body)
	return time.Since(start), got
}

// dbBytes checkpoints the demo's SQLite database and returns the size of its file and WAL.
func dbBytes(t interface {
	Helper()
	Fatal(...any)
}, dir string) int64 {
	t.Helper()
	path := filepath.Join(dir, "f2fpay.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var n int64
	for _, f := range []string{path, path + "-wal"} {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}
