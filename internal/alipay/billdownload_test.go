package alipay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// TestParseBillFixture: the committed real-layout bill (internal/alipay/bill's fixture)
// comes out in the core's types: its day, refunds as positive amounts with their
// out_request_no, fees signed as printed, the summary's 合计.
func TestParseBillFixture(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("bill/testdata/20881021234567890156_20261128.csv.zip")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBill(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.Day != "2026-11-28" || b.Account != "20881021234567890156" || len(b.Rows) != 5 {
		t.Fatalf("bill %q %q with %d rows", b.Day, b.Account, len(b.Rows))
	}
	r := b.Rows[3]
	if r.Kind != payment.BillRefund || r.OutTradeNo != "F2F20261128102233B7" || r.RefundNo != "RF20261128154718" ||
		r.Amount != 20000 || r.Received != 20000 || r.Fee != 120 || r.FinishedAt.Format("2006-01-02 15:04:05") != "2026-11-28 07:47:20" {
		t.Errorf("refund row %+v", r)
	}
	if t0 := b.Rows[0]; t0.Kind != payment.BillTrade || t0.Amount != 3200 || t0.Fee != -19 || t0.RefundNo != "" {
		t.Errorf("trade row %+v", t0)
	}
	want := payment.BillTotals{TradeCount: 4, TradeAmount: 137990, RefundCount: 1, RefundAmount: 20000, Fee: -705}
	if got := b.Totals(); got != want {
		t.Errorf("totals %+v, want %+v", got, want)
	}
	if s := b.Summary; s == nil || *s != (payment.BillSummary{TradeCount: 4, RefundCount: 1, Amount: 117990, Fee: -705}) {
		t.Errorf("summary %+v", s)
	}
}

// TestParseBillRefusesJunk: what is not a bill is INVALID_PARAMETER naming the problem.
func TestParseBillRefusesJunk(t *testing.T) {
	t.Parallel()
	for name, data := range map[string][]byte{"not a zip": []byte("PK? no"), "empty": nil} {
		_, err := ParseBill(data)
		if payment.ErrorCode(err) != payment.CodeInvalidParameter || !strings.Contains(err.Error(), "zip") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestBillNotReady: Alipay's "no bill" sub codes, with any code, mean not ready; other
// refusals do not.
func TestBillNotReady(t *testing.T) {
	t.Parallel()
	for sub, want := range map[string]bool{"isp.bill_not_exist": true, "BILL_NOT_EXIST": true, "NO_BILL_DATA": true,
		"ACQ.BILL_NOT_EXIST": true, "isp.unknow-error": false, "INVAILID_ARGUMENTS": false, "": false} {
		err := foldAnswer("alipay.data.dataservice.bill.downloadurl.query", alipay.Error{Code: "40004", SubCode: sub, SubMsg: "x"})
		if got := billNotReady(err); got != want {
			t.Errorf("%q: not ready %v, want %v (%v)", sub, got, want, err)
		}
	}
	if billNotReady(errors.New("plain")) || billNotReady(nil) {
		t.Error("an uncoded error or nil counts as not ready")
	}
}

// TestBillURLNotRecorded: the call log keeps the link's host and path, never its token.
func TestBillURLNotRecorded(t *testing.T) {
	t.Parallel()
	r := billURLRsp{BillDownloadURL: "https://dl.example/bill?app_id=1&token=SECRET", BillFileCode: "X"}
	r.Code = "10000"
	b, err := json.Marshal(r)
	if err != nil || strings.Contains(string(b), "SECRET") || !strings.Contains(string(b), "https://dl.example/bill?…") {
		t.Fatalf("recorded %s, %v", b, err)
	}
}

// TestDownloadBillSandbox: through the SDK and the sandbox, today's bill is not ready
// (isp.bill_not_exist) and a past day's comes from the short-lived link and parses. The
// app is made three days old by its persisted registration, as the sandbox keeps it.
func TestDownloadBillSandbox(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sb, err := sandbox.New(sandbox.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	const appID = "2021000000000777"
	if err := sb.RegisterApp(appID, pubPEM(&testKey(t, 0).PublicKey)); err != nil {
		t.Fatal(err)
	}
	sb.Close()
	agePersistedApps(t, dir, 72*time.Hour)
	var h atomic.Pointer[sandbox.Sandbox]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	if sb, err = sandbox.New(sandbox.Config{DataDir: dir, BaseURL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	h.Store(sb)
	t.Cleanup(sb.Close)
	rec := &recorder{}
	ch, err := New(Config{AppID: appID, PrivateKey: privPKCS8PEM(testKey(t, 0)), AlipayPublicKey: sb.AlipayPublicKeyPEM(),
		GatewayURL: srv.URL + "/sandbox/gateway.do", SellerID: sb.SellerID(appID), Recorder: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	today := payment.BillDayOf(time.Now())
	if _, err := ch.DownloadBill(ctx, today); !errors.Is(err, payment.ErrBillNotReady) {
		t.Fatalf("today's bill: %v, want not ready", err)
	}
	b, err := ch.DownloadBill(ctx, today.AddDays(-1))
	if err != nil {
		t.Fatalf("yesterday's bill: %v", err)
	}
	if b.Day != today.AddDays(-1) || b.Account != sb.SellerID(appID)+"0156" || len(b.Rows) != 0 || b.Summary == nil {
		t.Fatalf("bill %+v", b)
	}
	for _, c := range rec.calls {
		if strings.Contains(c.Response, "token=") {
			t.Errorf("the call log keeps the download link's token: %s", c.Response)
		}
	}
}

// agePersistedApps moves the registration time of the apps saved in dir back by d.
func agePersistedApps(t *testing.T, dir string, d time.Duration) {
	t.Helper()
	path := filepath.Join(dir, "apps.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var apps []map[string]any
	if err := json.Unmarshal(raw, &apps); err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		a["created_at"] = time.Now().Add(-d).UTC().Format(time.RFC3339Nano)
	}
	if raw, err = json.Marshal(apps); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}
