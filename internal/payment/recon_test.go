package payment_test

// Helpers of the reconciliation tests: the real core, the real alipay channel and the
// sandbox, on SQLite and (with F2FPAY_TEST_POSTGRES_URL) on PostgreSQL, and Alipay bills
// built in the real layout from the sandbox's own trades.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/postgres"

	"github.com/f2fpay/f2fpay/internal/testenv"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

type reconEnv struct {
	t        *testing.T
	te       *testenv.Env
	store    payment.Store
	svc      *payment.Service
	clientID string
	day      payment.BillDay // today in Beijing time: the sandbox's trades happen now
	account  string          // the bill's 账号: the seller id and 0156
}

// eachStore runs fn on SQLite and, when F2FPAY_TEST_POSTGRES_URL is set, on PostgreSQL.
func eachStore(t *testing.T, fn func(t *testing.T, pg bool)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, false) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv("F2FPAY_TEST_POSTGRES_URL") == "" {
			t.Skip("PostgreSQL run skipped: set F2FPAY_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
		}
		t.Parallel()
		fn(t, true)
	})
}

var pgSchemas atomic.Int64

// newReconEnv wires the stack; with pg the service runs on a fresh PostgreSQL schema (and
// a notify endpoint of its own) over the same channel and sandbox. clock may be nil.
func newReconEnv(t *testing.T, pg bool, clock payment.Clock) *reconEnv {
	t.Helper()
	te := testenv.New(t, testenv.Options{Clock: clock, Config: payment.Config{ConfirmWithQuery: true}})
	e := &reconEnv{t: t, te: te, store: te.Store, svc: te.Service,
		account: te.Sandbox.SellerID(te.AppID) + "0156", day: payment.BillDayOf(time.Now())}
	if pg {
		e.store, e.svc = pgService(t, te, clock)
	}
	e.svc.SetBillSource(te.Channel)
	c, _, err := e.svc.CreateMerchant(context.Background(), "recon", "")
	if err != nil {
		t.Fatal(err)
	}
	e.clientID = c.AppID
	return e
}

func pgService(t *testing.T, te *testenv.Env, clock payment.Clock) (payment.Store, *payment.Service) {
	url, ctx := os.Getenv("F2FPAY_TEST_POSTGRES_URL"), context.Background()
	schema := fmt.Sprintf("f2fpay_recon_%d_%d", os.Getpid(), pgSchemas.Add(1))
	st, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); _ = postgres.DropSchema(ctx, url, schema) })
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	var svcp atomic.Pointer[payment.Service]
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if svcp.Load().HandleNotification(r.Context(), string(body), r.RemoteAddr) != nil {
			io.WriteString(w, "failure")
			return
		}
		io.WriteString(w, "success")
	}))
	t.Cleanup(gw.Close)
	svc := payment.NewService(st, te.Channel, box, clock, payment.Config{ConfirmWithQuery: true, PublicURL: gw.URL}, nil)
	svcp.Store(svc)
	return st, svc
}

// order creates an order of amount and has the sandbox's buyer pay it.
func (e *reconEnv) order(no string, amount payment.Amount) {
	e.t.Helper()
	if _, _, err := e.svc.Create(context.Background(), e.clientID, payment.CreateRequest{OutTradeNo: no, TotalAmount: amount, Subject: "对账"}); err != nil {
		e.t.Fatalf("create %s: %v", no, err)
	}
	if _, err := e.te.Sandbox.Pay(e.te.AppID, no, sandbox.OutcomeSuccess); err != nil {
		e.t.Fatalf("sandbox pay %s: %v", no, err)
	}
}

// paid creates and pays an order and waits for the notification to record it.
func (e *reconEnv) paid(no string, amount payment.Amount) {
	e.t.Helper()
	e.order(no, amount)
	testutil.WaitFor(e.t, 0, no+" recorded as paid", func() bool { return e.get(no).Status == payment.StatusPaid })
}

func (e *reconEnv) get(no string) *payment.Order {
	e.t.Helper()
	o, err := e.store.GetOrder(context.Background(), no)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// bill builds Alipay's bill of e.day from rows and reads it as an operator's upload is read.
func (e *reconEnv) bill(rows []testenv.BillRow) *payment.Bill {
	e.t.Helper()
	b, err := e.svc.ParseBill(testenv.BillZip(e.t, e.account, e.day, rows))
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// sandboxBill is the sandbox's bill of e.day (GET /sandbox/api/bill, which serves any day
// up to today; bill.downloadurl.query refuses today as Alipay does), read as an upload is.
func (e *reconEnv) sandboxBill() *payment.Bill {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.te.Sandbox.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sandbox/api/bill?app_id="+e.te.AppID+"&date="+string(e.day), nil))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("GET /sandbox/api/bill: %d %s", rec.Code, rec.Body)
	}
	b, err := e.svc.ParseBill(rec.Body.Bytes())
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// outsideRefund refunds in the sandbox as Alipay's merchant portal would
// (POST /sandbox/api/refund).
func (e *reconEnv) outsideRefund(no, amount, requestNo string) {
	e.t.Helper()
	body := fmt.Sprintf(`{"app_id":%q,"out_trade_no":%q,"refund_amount":%q,"out_request_no":%q}`, e.te.AppID, no, amount, requestNo)
	rec := httptest.NewRecorder()
	e.te.Sandbox.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/sandbox/api/refund", strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("POST /sandbox/api/refund: %d %s", rec.Code, rec.Body)
	}
}

// rows lists the sandbox's payments and refunds of nos on e.day.
func (e *reconEnv) rows(nos ...string) []testenv.BillRow {
	return testenv.SandboxBillRows(e.t, e.te.Sandbox, e.te.AppID, e.day, nos...)
}

// reconcile runs the day against b and fails the test on an error.
func (e *reconEnv) reconcile(b *payment.Bill) *payment.ReconRun {
	e.t.Helper()
	run, err := e.svc.ReconcileDay(context.Background(), payment.ReconcileInput{Day: e.day, Bill: b, Trigger: payment.TriggerCLI})
	if err != nil {
		e.t.Fatalf("ReconcileDay: %v", err)
	}
	return run
}

// found lists the day's discrepancies as "kind ref state".
func (e *reconEnv) found() []string {
	e.t.Helper()
	ds, err := e.store.ListDiscrepancies(context.Background(), payment.DiscrepancyFilter{Day: e.day})
	if err != nil {
		e.t.Fatal(err)
	}
	out := []string{}
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s %s", d.Kind, d.Ref, d.State))
	}
	slices.Sort(out)
	return out
}

// events lists the types of an order's events.
func (e *reconEnv) events(no string) []string {
	e.t.Helper()
	es, err := e.store.ListOrderEvents(context.Background(), no)
	if err != nil {
		e.t.Fatal(err)
	}
	out := []string{}
	for _, ev := range es {
		out = append(out, ev.Type)
	}
	return out
}

// counts is a run's found, resolved and open counts.
func counts(r *payment.ReconRun) [3]int { return [3]int{r.Found, r.Resolved, r.Open} }
