package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

const (
	merchantTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	merchantSpan  = "00f067aa0ba902b7"
	merchantTP    = "00-" + merchantTrace + "-" + merchantSpan + "-01"
)

// sendTraceparent adds a caller's traceparent to every request.
type sendTraceparent string

func (tp sendTraceparent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Traceparent", string(tp))
	return http.DefaultTransport.RoundTrip(r)
}

// tracedSetup is setup with the requests traced into a span recorder.
func tracedSetup(t *testing.T) (*testBundle, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	return setup(t, func(o *setupOptions) { o.tracerProvider = tp }), rec
}

// ended waits for the ended span named name that match accepts (a server span ends just
// after its answer is sent).
func ended(t *testing.T, rec *tracetest.SpanRecorder, name string, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	testutil.WaitFor(t, 15*time.Second, "span "+name, func() bool {
		for _, s := range rec.Ended() {
			if s.Name() == name && (match == nil || match(s)) {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

func attrsOf(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, a := range s.Attributes() {
		m[string(a.Key)] = a.Value.Emit()
	}
	return m
}

func wantSpanAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := attrsOf(s)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("span %s: %s = %q, want %q (all: %v)", s.Name(), k, got[k], v, got)
		}
	}
}

func childOf(parent sdktrace.ReadOnlySpan) func(sdktrace.ReadOnlySpan) bool {
	return func(s sdktrace.ReadOnlySpan) bool { return s.Parent().SpanID() == parent.SpanContext().SpanID() }
}

// TestTraceMerchantRequest: a merchant's traceparent is the parent of its request's span,
// which is named by route template and carries the app id; the Alipay call and the database
// transaction of the create are its children.
func TestTraceMerchantRequest(t *testing.T) {
	t.Parallel()
	b, rec := tracedSetup(t)
	api := client.New(b.srv.URL, b.appID, b.secret, client.WithHTTPClient(&http.Client{Transport: sendTraceparent(merchantTP)}))
	if _, _, err := api.Create(t.Context(), client.CreateRequest{OutTradeNo: "tr_1", TotalAmount: "1.00", Subject: "s"}); err != nil {
		t.Fatal(err)
	}
	req := ended(t, rec, "POST /api/v1/payment/create", nil)
	if req.SpanContext().TraceID().String() != merchantTrace || req.Parent().SpanID().String() != merchantSpan || !req.Parent().IsRemote() {
		t.Errorf("request span %s parent %s; want a child of the merchant's %s", req.SpanContext().TraceID(), req.Parent().SpanID(), merchantTP)
	}
	wantSpanAttrs(t, req, map[string]string{"http.route": "/api/v1/payment/create", "f2fpay.app_id": b.appID, "http.response.status_code": "201"})
	if !strings.HasPrefix(attrsOf(req)["f2fpay.request_id"], "req_") {
		t.Errorf("no request id on the span: %v", attrsOf(req))
	}
	pre := ended(t, rec, "alipay.trade.precreate", childOf(req))
	wantSpanAttrs(t, pre, map[string]string{"f2fpay.out_trade_no": "tr_1", "f2fpay.alipay.code": "10000", "f2fpay.alipay.outcome": "ok", "rpc.system": "alipay"})
	if pre.Status().Code != codes.Unset {
		t.Errorf("precreate status %v", pre.Status())
	}
	tx := ended(t, rec, "db.transaction", childOf(req))
	wantSpanAttrs(t, tx, map[string]string{"db.system.name": "sqlite"})

	if _, err := api.Query(t.Context(), "tr_1", client.QueryOptions{}); err != nil {
		t.Fatal(err)
	}
	q := ended(t, rec, "GET /api/v1/payment/query/:out_trade_no", nil)
	wantSpanAttrs(t, q, map[string]string{"url.path": "/api/v1/payment/query/:out_trade_no", "http.response.status_code": "200"})
}

// TestTraceAlipayOutcomes: a business refusal is an answer (code and sub code, no error
// status); an unknown outcome is an error of the call.
func TestTraceAlipayOutcomes(t *testing.T) {
	t.Parallel()
	b, rec := tracedSetup(t)
	for _, c := range []struct {
		no     string
		faults sandbox.Faults
		want   map[string]string
		status codes.Code
	}{
		{"tr_rejected", sandbox.Faults{Seed: 1, GatewayReject: 1, GatewayRejectCode: "40004", GatewayRejectSubCode: "ACQ.ACCESS_FORBIDDEN", Methods: []string{"alipay.trade.precreate"}},
			map[string]string{"f2fpay.alipay.code": "40004", "f2fpay.alipay.sub_code": "ACQ.ACCESS_FORBIDDEN", "f2fpay.alipay.outcome": "rejected"}, codes.Unset},
		{"tr_unknown", sandbox.Faults{Seed: 1, GatewaySystemError: 1, Methods: []string{"alipay.trade.precreate"}},
			map[string]string{"f2fpay.alipay.code": "20000", "f2fpay.alipay.outcome": "unknown"}, codes.Error},
	} {
		b.sb.SetFaults(c.faults)
		if _, _, err := b.client.Create(t.Context(), client.CreateRequest{OutTradeNo: c.no, TotalAmount: "1.00", Subject: "s"}); err == nil {
			t.Fatalf("%s: created", c.no)
		}
		s := ended(t, rec, "alipay.trade.precreate", func(s sdktrace.ReadOnlySpan) bool { return attrsOf(s)["f2fpay.out_trade_no"] == c.no })
		wantSpanAttrs(t, s, c.want)
		if s.Status().Code != c.status {
			t.Errorf("%s: status %v, want %v", c.no, s.Status(), c.status)
		}
		t.Logf("%s: %v %v", c.no, attrsOf(s), s.Status())
	}
}

// TestTracePublicRoutes: on a route anyone may call, an incoming traceparent is linked, not
// adopted; probes make no span; an unmatched route is named so, not by its path.
func TestTracePublicRoutes(t *testing.T) {
	t.Parallel()
	b, rec := tracedSetup(t)
	for _, r := range []struct{ method, path string }{{"POST", "/notify/alipay"}, {"GET", "/health"}, {"GET", "/no/such/route/4711"}} {
		req, _ := http.NewRequest(r.method, b.srv.URL+r.path, strings.NewReader("a=b"))
		req.Header.Set("Traceparent", merchantTP)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	n := ended(t, rec, "POST /notify/alipay", nil)
	if n.Parent().IsValid() || n.SpanContext().TraceID().String() == merchantTrace {
		t.Errorf("notify adopted the caller's trace: parent %v", n.Parent())
	}
	if l := n.Links(); len(l) != 1 || l[0].SpanContext.TraceID().String() != merchantTrace {
		t.Errorf("notify links %v, want the caller's span", l)
	}
	note := ended(t, rec, "alipay.notification", childOf(n))
	wantSpanAttrs(t, note, map[string]string{"f2fpay.verified": "false", "f2fpay.outcome": "refused"})
	if note.Status().Code != codes.Error {
		t.Errorf("refused notification status %v", note.Status())
	}
	ended(t, rec, "GET unmatched", func(s sdktrace.ReadOnlySpan) bool {
		a := attrsOf(s)
		return a["http.route"] == "" && a["url.path"] == "unmatched" && a["http.response.status_code"] == "404"
	})
	for _, s := range rec.Ended() {
		if strings.Contains(s.Name(), "/health") || strings.Contains(s.Name(), "4711") {
			t.Errorf("span %q: probes make none, and paths are not span names", s.Name())
		}
	}
}
