package worker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// matrixFaults are the gateway faults of the matrix; each hits every call of the methods
// under test while the faulted step runs.
var matrixFaults = []struct {
	name string
	f    sandbox.Faults
}{
	{"timeout, carried out", sandbox.Faults{GatewayTimeout: 1}},
	{"20000, not carried out", sandbox.Faults{GatewaySystemError: 1}},
	{"20000, carried out", sandbox.Faults{GatewaySystemErrorApplied: 1}},
	{"40005 rejection", sandbox.Faults{GatewayReject: 1, GatewayRejectCode: "40005", GatewayRejectSubCode: "isv.app-call-limited"}},
	{"latency > timeout", sandbox.Faults{GatewayLatencyMS: 3 * channelTimeout.Milliseconds()}},
}

// matrixMethods are the Alipay methods of the matrix, each with the merchant's steps: the
// faulted step, then what a merchant (or buyer) does next with the faults cleared.
var matrixMethods = []struct {
	name    string
	methods []string
	run     func(e *ledgerEnv, no string, fault sandbox.Faults) string
}{
	{"precreate", []string{"alipay.trade.precreate"}, func(e *ledgerEnv, no string, f sandbox.Faults) string {
		e.sb.SetFaults(f)
		err := e.create(no, 1000)
		e.sb.ClearFaults()
		if err != nil {
			if rerr := e.create(no, 1000); rerr != nil {
				e.t.Fatalf("%s: repeated create: %v", no, rerr)
			}
		}
		e.mustPay(no)
		return answer(err)
	}},
	{"query", []string{"alipay.trade.query"}, func(e *ledgerEnv, no string, f sandbox.Faults) string {
		must(e.t, e.create(no, 1000))
		e.sb.SetFaults(sandbox.Faults{Seed: 1, NotifyDrop: 1}) // only the reconciler's query can tell
		e.mustPay(no)
		f.NotifyDrop = 1
		e.sb.SetFaults(f)
		for range 3 {
			e.clock.Add(time6m)
			if _, err := e.rec.runOnce(bg); err != nil {
				e.t.Fatal(err)
			}
		}
		o, _ := e.store.GetOrder(bg, no)
		return "reconciler: " + string(o.Status)
	}},
	{"close/cancel", []string{"alipay.trade.close", "alipay.trade.cancel"}, func(e *ledgerEnv, no string, f sandbox.Faults) string {
		must(e.t, e.create(no, 1000))
		if _, err := e.sb.Scan(e.appID, no); err != nil { // a trade exists: alipay.trade.close acts
			e.t.Fatal(err)
		}
		e.sb.SetFaults(f)
		_, err := e.svc.Close(bg, e.clientID, no)
		e.sb.ClearFaults()
		_, _ = e.sb.Pay(e.appID, no, sandbox.OutcomeSuccess) // the buyer tries anyway
		return answer(err)
	}},
	{"refund", []string{"alipay.trade.refund"}, func(e *ledgerEnv, no string, f sandbox.Faults) string {
		must(e.t, e.create(no, 1000))
		e.mustPay(no)
		e.waitBooksPaid(no)
		e.sb.SetFaults(f)
		err := e.refund(no, "R1", 400)
		e.sb.ClearFaults()
		if err != nil {
			_ = e.refund(no, "R1", 400) // the merchant repeats
		}
		return answer(err)
	}},
	{"refund + refund query", []string{"alipay.trade.refund", "alipay.trade.fastpay.refund.query"}, func(e *ledgerEnv, no string, f sandbox.Faults) string {
		must(e.t, e.create(no, 1000))
		e.mustPay(no)
		e.waitBooksPaid(no)
		e.sb.SetFaults(f)
		err := e.refund(no, "R1", 1000)
		e.clock.Add(time6m)
		if _, rerr := e.rec.runOnce(bg); rerr != nil { // the reconciler's refund query, faulted too
			e.t.Fatal(rerr)
		}
		e.sb.ClearFaults()
		return answer(err)
	}},
}

const time6m = 6 * time.Minute

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// answer names what the merchant API answered.
func answer(err error) string {
	if err == nil {
		return "ok"
	}
	return string(payment.ErrorCode(err))
}

// mustPay has the buyer pay at the sandbox and waits until Alipay's trade is paid.
func (e *ledgerEnv) mustPay(no string) {
	e.t.Helper()
	if _, err := e.sb.Pay(e.appID, no, sandbox.OutcomeSuccess); err != nil {
		e.t.Fatalf("sandbox pay %s: %v", no, err)
	}
}

// waitBooksPaid waits until the payment's notification reached the books.
func (e *ledgerEnv) waitBooksPaid(no string) {
	e.t.Helper()
	testutil.WaitFor(e.t, 0, no+" paid in the books", func() bool {
		o, err := e.store.GetOrder(bg, no)
		return err == nil && o.Status == payment.StatusPaid
	})
}

// TestFaultMatrix: for each Alipay method and each gateway fault, the merchant's steps run
// with the fault on that method, the reconciler runs to quiescence, and then every order
// and refund equals the sandbox's trade, and Alipay never refunded more than was asked.
// -v prints the table: method × fault → the merchant's first answer → the final state.
func TestFaultMatrix(t *testing.T) {
	e := newLedgerEnv(t, nil)
	var rows []string
	rows = append(rows, fmt.Sprintf("%-22s | %-24s | %-22s | %-28s | %s", "method", "fault", "first answer", "final (books = alipay)", "refunded at alipay"))
	for i, m := range matrixMethods {
		for j, f := range matrixFaults {
			no := fmt.Sprintf("fm_%d_%d", i, j)
			fault := f.f
			fault.Seed, fault.Methods = 1, m.methods
			first := m.run(e, no, fault)
			e.quiesce()
			c := e.compare()
			o, _ := e.store.GetOrder(bg, no)
			tr, _ := e.sb.Trade(e.appID, no)
			final := string(o.Status)
			if rs, _ := e.store.ListRefunds(bg, no); len(rs) > 0 {
				var parts []string
				for _, r := range rs {
					parts = append(parts, r.RefundNo+" "+string(r.Status))
				}
				final += " (" + strings.Join(parts, ", ") + ")"
			}
			refunded := "-"
			if tr != nil {
				refunded = tr.RefundedAmount
			}
			rows = append(rows, fmt.Sprintf("%-22s | %-24s | %-22s | %-28s | %s", m.name, f.name, first, final, refunded))
			if c.ordersDiffer+c.overPaid+c.eventsMissing+c.eventsDoubled > 0 {
				t.Errorf("%s × %s: %d orders differ, %d over-paid, %d events missing, %d doubled:\n%s", m.name, f.name,
					c.ordersDiffer, c.overPaid, c.eventsMissing, c.eventsDoubled, strings.Join(c.details, "\n"))
			}
		}
	}
	t.Log("fault matrix (method × fault → outcome):\n" + strings.Join(rows, "\n"))
}
