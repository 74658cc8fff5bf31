package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/testenv"
)

// reconcileCLI runs `f2fpay reconcile` against the demo p and returns its exit status
// and output.
func reconcileCLI(t *testing.T, p *program, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append(append([]string{"reconcile", "--data-dir", p.dir}, p.dbFlags...), args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// billFile saves the demo sandbox's bill of day (its control API serves today too) to a
// file, as an operator saves one downloaded from Alipay's portal.
func billFile(t *testing.T, p *program, day payment.BillDay) string {
	t.Helper()
	resp, err := http.Get(p.state.BaseURL + "/sandbox/api/bill?app_id=" + p.state.AlipayAppID + "&date=" + string(day))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sandbox bill: %d %s", resp.StatusCode, data)
	}
	path := filepath.Join(t.TempDir(), "bill.csv.zip")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReconcileCLI: `f2fpay reconcile` on a demo whose reconciler is stopped. Today's bill
// cannot be downloaded yet (exit 2); a clean day agrees (exit 0); a refund made in
// Alipay's portal and a payment whose notification was dropped are found in the bill and
// recorded, with their events once (exit 1, then 0 on a re-run); a crafted bill's changed
// amount is flagged and stays open; --json prints the same run for scripts. On SQLite,
// and on PostgreSQL when F2FPAY_TEST_POSTGRES_URL is set.
func TestReconcileCLI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testReconcileCLI(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		url := os.Getenv("F2FPAY_TEST_POSTGRES_URL")
		if url == "" {
			t.Skip("PostgreSQL run skipped: set F2FPAY_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
		}
		schema := fmt.Sprintf("f2fpay_reconcile_cli_%d", os.Getpid())
		t.Setenv("F2FPAY_DATABASE_SCHEMA", schema)
		t.Cleanup(func() { _ = postgres.DropSchema(context.Background(), url, schema) })
		testReconcileCLI(t, []string{"--database", url})
	})
}

func testReconcileCLI(t *testing.T, db []string) {
	p := runDemoForTest(t, t.TempDir(), append([]string{"--workers=false"}, db...)...)
	p.dbFlags = db
	today := payment.BillDayOf(time.Now())
	if code, _, errOut := reconcileCLI(t, p, "--date", string(today)); code != 2 || !strings.Contains(errOut, "no bill for "+string(today)+" yet") {
		t.Fatalf("download of today's bill: exit %d, %s", code, errOut)
	}
	for _, no := range []string{"cli_1", "cli_2"} {
		mustCreate(t, p, no, "9.90")
		p.pay(no)
		p.waitStatus(no, "paid")
	}
	if _, err := p.api.Refund(context.Background(), client.RefundRequest{OutTradeNo: "cli_2", RefundNo: "r1", RefundAmount: "1.00"}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := reconcileCLI(t, p, "--date", string(today), "--bill", billFile(t, p, today))
	if code != 0 || !strings.Contains(out, "the books agree") || !strings.Contains(out, "2 · 19.80") {
		t.Fatalf("clean day: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("clean day: exit %d\n%s", code, out)

	p.sandbox("POST", "/sandbox/api/faults", map[string]any{"seed": 1, "notify_drop": 1}, nil)
	p.sandbox("POST", "/sandbox/api/refund", map[string]string{"app_id": p.state.AlipayAppID, "out_trade_no": "cli_1",
		"refund_amount": "2.50", "out_request_no": "portal-9"}, nil)
	mustCreate(t, p, "cli_3", "12.80")
	p.pay("cli_3")
	bill := billFile(t, p, today)
	code, out, _ = reconcileCLI(t, p, "--date", string(today), "--bill", bill)
	for _, want := range []string{"2 found, 2 resolved, 0 open", "refund_not_recorded", "cli_1/portal-9", "payment_not_recorded", "cli_3"} {
		if code != 1 || !strings.Contains(out, want) {
			t.Fatalf("outside refund and dropped notification: exit %d, want 1 and %q\n%s", code, want, out)
		}
	}
	t.Logf("outside refund and dropped notification: exit %d\n%s", code, out)
	p.waitStatus("cli_3", "paid")
	if n, m := p.events("cli_3", "payment.succeeded"), p.events("cli_1", "refund.succeeded"); n != 1 || m != 1 {
		t.Fatalf("events: %d payment.succeeded, %d refund.succeeded", n, m)
	}
	if code, out, _ = reconcileCLI(t, p, "--date", string(today), "--bill", bill); code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, out)
	}

	crafted := filepath.Join(t.TempDir(), "crafted.csv.zip")
	if err := os.WriteFile(crafted, changeAmount(t, bill, "cli_2", 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		code, out, _ = reconcileCLI(t, p, "--date", string(today), "--bill", crafted)
		if code != 1 || !strings.Contains(out, "amount_mismatch") || !strings.Contains(out, "1 found, 0 resolved, 1 open") {
			t.Fatalf("changed amount, run %d: exit %d\n%s", i+1, code, out)
		}
	}
	t.Logf("changed amount: exit %d\n%s", code, out)
	code, out, _ = reconcileCLI(t, p, "--date", string(today), "--bill", crafted, "--json")
	var v payment.ReconciliationObject
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 1 {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if v.Date != today || v.Discrepancies.Open != 1 || len(v.Items) != 1 || v.Items[0].Kind != payment.KindAmountMismatch ||
		v.Items[0].Ours != 990 || v.Items[0].Alipay != 1000 || v.Totals.Books.TradeCount != 3 {
		t.Fatalf("--json: %+v", v)
	}
}

// changeAmount rewrites the bill zip at path with the payment of outTradeNo at fen.
func changeAmount(t *testing.T, path, outTradeNo string, fen payment.Amount) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := alipay.ParseBill(data)
	if err != nil {
		t.Fatal(err)
	}
	var rows []testenv.BillRow
	for _, r := range b.Rows {
		row := testenv.BillRow{TradeNo: r.TradeNo, OutTradeNo: r.OutTradeNo, RefundNo: r.RefundNo, Amount: r.Amount, At: r.FinishedAt}
		if r.Kind == payment.BillTrade && r.OutTradeNo == outTradeNo {
			row.Amount = fen
		}
		rows = append(rows, row)
	}
	return testenv.BillZip(t, b.Account, b.Day, rows)
}
