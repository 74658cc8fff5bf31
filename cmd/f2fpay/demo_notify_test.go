package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// alipaySigner signs notification forms as Alipay does: every parameter but sign and
// sign_type, sorted, k=v joined by &, SHA256withRSA, base64.
type alipaySigner struct{ key *rsa.PrivateKey }

func (s alipaySigner) sign(t *testing.T, form url.Values) url.Values {
	t.Helper()
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" && k != "sign_type" && form.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + form.Get(k)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "&")))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	out := url.Values{}
	for k, v := range form {
		out[k] = append([]string(nil), v...)
	}
	out.Set("sign", base64.StdEncoding.EncodeToString(sig))
	return out
}

// sandboxSigner loads the demo's simulator key: the key Alipay would sign with.
func sandboxSigner(t *testing.T, dir string) alipaySigner {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "sandbox", "alipay_private_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := config.ParsePrivateKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return alipaySigner{k}
}

// notification builds the form Alipay would send for a payment of the order.
func (p *program) notification(outTradeNo, amount, tradeNo, sellerID string) url.Values {
	now := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")
	return url.Values{
		"notify_time": {now}, "notify_type": {"trade_status_sync"}, "notify_id": {"2026112700222155624068450559358070"},
		"app_id": {p.state.AlipayAppID}, "auth_app_id": {p.state.AlipayAppID}, "charset": {"utf-8"}, "version": {"1.0"},
		"sign_type": {"RSA2"}, "trade_no": {tradeNo}, "out_trade_no": {outTradeNo}, "trade_status": {"TRADE_SUCCESS"},
		"total_amount": {amount}, "receipt_amount": {amount}, "buyer_pay_amount": {amount}, "invoice_amount": {amount},
		"point_amount": {"0.00"}, "buyer_id": {"2088102177846875"}, "buyer_logon_id": {"159****5620"},
		"seller_id": {sellerID}, "gmt_create": {now}, "gmt_payment": {now}, "subject": {"测试商品"},
	}
}

// postNotify sends a form to /notify/alipay and returns the body answered.
func (p *program) postNotify(t *testing.T, form url.Values) string {
	t.Helper()
	_, body := p.postNotifyStatus(t, form)
	return body
}

// postNotifyStatus posts a notification form and returns the status and the answer.
func (p *program) postNotifyStatus(t *testing.T, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.Post(p.state.BaseURL+"/notify/alipay", "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func auditCount(t *testing.T, dir string) int {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "f2fpay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ListNotifications(context.Background(), "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// TestNotifyRefusals: forged and tampered notifications are answered failure, change
// nothing, and each leaves an audit row, except the unverified ones beyond their source's
// budget (20 at once), which are answered 429 and leave none (docs/security.md).
func TestNotifyRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := runDemoForTest(t, dir)
	signer := sandboxSigner(t, dir)
	mustCreate(t, p, "forge_1", "5.00")
	if code := p.sandbox("POST", "/sandbox/api/scan", map[string]string{"app_id": p.state.AlipayAppID, "out_trade_no": "forge_1"}, nil); code != 200 {
		t.Fatalf("scan: %d", code)
	}
	st := p.sandboxTrade("forge_1")
	genuine := p.notification("forge_1", "5.00", st.TradeNo, st.SellerID)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range genuine {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	cases := map[string]url.Values{
		"bad signature": func() url.Values {
			f := signer.sign(t, genuine)
			f.Set("sign", base64.StdEncoding.EncodeToString(make([]byte, 256)))
			return f
		}(),
		"no signature":              genuine,
		"signed by another key":     alipaySigner{otherKey}.sign(t, genuine),
		"other app's notification":  signer.sign(t, with("app_id", "2021000000009999")),
		"unknown out_trade_no":      signer.sign(t, with("out_trade_no", "no_such_order")),
		"amount differs":            signer.sign(t, with("total_amount", "0.01")),
		"seller differs":            signer.sign(t, with("seller_id", "2088000000000001")),
		"paid, but Alipay says not": signer.sign(t, genuine),
		"not a form":                {"%zz": {"%%"}},
	}
	signed := signer.sign(t, genuine)
	for k := range genuine {
		f := url.Values{}
		for kk, vv := range signed {
			f[kk] = vv
		}
		f.Set(k, genuine.Get(k)+"1")
		cases["tampered "+k] = f
		g := url.Values{}
		for kk, vv := range signed {
			if kk != k {
				g[kk] = vv
			}
		}
		if k != "sign_type" { // sign_type is not signed (Alipay's notification rules); removing it changes nothing verifiable
			cases["removed "+k] = g
		}
	}
	auditBefore := auditCount(t, dir)
	statuses := map[int]int{}
	for name, form := range cases {
		status, got := p.postNotifyStatus(t, form)
		if got != "failure" || (status != http.StatusOK && status != http.StatusTooManyRequests) {
			t.Errorf("%s: answered %d %q; want failure", name, status, got)
		}
		statuses[status]++
	}
	t.Logf("%d forged or tampered notifications refused: %v", len(cases), statuses)
	o := p.waitStatus("forge_1", "pending")
	if o.TradeNo != "" || o.PaidAt != nil {
		t.Fatalf("order changed: %+v", o)
	}
	if n := p.events("forge_1", "payment.succeeded"); n != 0 {
		t.Fatalf("%d payment.succeeded events for a forged payment", n)
	}
	if got := auditCount(t, dir) - auditBefore; got != statuses[http.StatusOK] || got < ratelimit.DefaultNotifyFailBurst {
		t.Fatalf("audit rows written: %d; want one per notification answered 200 (%d), at least the budget's %d",
			got, statuses[http.StatusOK], ratelimit.DefaultNotifyFailBurst)
	}
}

// TestDuplicateNotifications: the same genuine notification 20 times at once gives one
// payment and one event; every copy is acknowledged.
func TestDuplicateNotifications(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := runDemoForTest(t, dir)
	signer := sandboxSigner(t, dir)
	if code := p.sandbox("POST", "/sandbox/api/faults", map[string]any{"seed": 1, "notify_drop": 1.0}, nil); code != 200 {
		t.Fatalf("set faults: %d", code)
	}
	mustCreate(t, p, "dup_1", "7.77")
	if code := p.pay("dup_1"); code != 200 {
		t.Fatalf("pay: %d", code)
	}
	st := p.sandboxTrade("dup_1")
	form := signer.sign(t, p.notification("dup_1", "7.77", st.TradeNo, st.SellerID))
	var wg sync.WaitGroup
	answers := make([]string, 20)
	for i := range answers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			answers[i] = p.postNotify(t, form)
		}(i)
	}
	wg.Wait()
	for i, a := range answers {
		if a != "success" {
			t.Errorf("copy %d answered %q; want success", i, a)
		}
	}
	if o := p.waitStatus("dup_1", "paid"); o.TradeNo != st.TradeNo {
		t.Fatalf("trade_no %q; want %q", o.TradeNo, st.TradeNo)
	}
	if n := p.events("dup_1", "payment.succeeded"); n != 1 {
		t.Fatalf("payment.succeeded events = %d; want exactly 1", n)
	}
}
