package app

import (
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// collector is an in-process OTLP/HTTP receiver: it decodes each ExportTraceServiceRequest
// as a collector would and keeps its spans.
type collector struct {
	mu       sync.Mutex
	spans    []*tracepb.Span
	services map[string]bool
	posts    int
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "not an OTLP/HTTP protobuf export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.posts++
	for _, rs := range req.ResourceSpans {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				c.services[a.GetValue().GetStringValue()] = true
			}
		}
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// webhookSink is the merchant's webhook endpoint; it keeps each request's traceparent.
type webhookSink struct {
	mu           sync.Mutex
	traceparents []string
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.traceparents = append(s.traceparents, r.Header.Get("Traceparent"))
	s.mu.Unlock()
	io.WriteString(w, "ok")
}

func (s *webhookSink) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.traceparents...)
}

// withTraceparent sends the merchant's own traceparent with every request.
type withTraceparent string

func (tp withTraceparent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Traceparent", string(tp))
	return http.DefaultTransport.RoundTrip(r)
}

// TestTracingOfAPaidOrder runs the real gateway with the sandbox as Alipay and exports over
// OTLP/HTTP to an in-process receiver. One order is created under a merchant's traceparent,
// paid by the sandbox's buyer and notified, and its webhook delivered; then every span of
// its life is found by its trace and parent ids, and the trees are logged.
func TestTracingOfAPaidOrder(t *testing.T) {
	t.Parallel()
	col := &collector{services: map[string]bool{}}
	otlp := httptest.NewServer(col)
	t.Cleanup(otlp.Close)
	sink := &webhookSink{}
	hook := httptest.NewServer(sink)
	t.Cleanup(hook.Close)
	var logMu sync.Mutex
	var logs strings.Builder
	b := setup(t, func(c *config.Config) {
		c.Tracing = config.TracingConfig{Endpoint: otlp.URL, SampleRatio: 1, ServiceName: "f2fpay-trace-test"}
		c.Webhooks.AllowNetworks = []string{"127.0.0.0/8"}
	}, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})

	const merchantTrace, merchantSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	m, secret, err := b.app.Service().CreateMerchant(t.Context(), "traced", hook.URL)
	if err != nil {
		t.Fatal(err)
	}
	api := client.New(b.app.URL(), m.AppID, secret,
		client.WithHTTPClient(&http.Client{Transport: withTraceparent("00-" + merchantTrace + "-" + merchantSpan + "-01")}))
	const no = "trace_paid_1"
	if _, _, err := api.Create(t.Context(), client.CreateRequest{OutTradeNo: no, TotalAmount: "12.34", Subject: "traced"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.sb.Pay(testAlipayAppID, no, "success"); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, time.Minute, "the payment.succeeded webhook", func() bool { return len(sink.got()) > 0 })
	stop(t, b.app) // flushes the batch of spans

	col.mu.Lock()
	spans, posts, services := col.spans, col.posts, col.services
	col.mu.Unlock()
	if !services["f2fpay-trace-test"] {
		t.Fatalf("service.name of the resource: %v", services)
	}
	tr := newTraces(spans)
	t.Logf("%d spans in %d OTLP/HTTP posts", len(spans), posts)

	// The create request: a child of the merchant's span, in the merchant's trace.
	create := tr.one(t, "POST /api/v1/payment/create", func(s *tracepb.Span) bool { return hex.EncodeToString(s.TraceId) == merchantTrace })
	if got := hex.EncodeToString(create.ParentSpanId); got != merchantSpan {
		t.Errorf("create's parent is %s, want the merchant's span %s", got, merchantSpan)
	}
	wantAttrs(t, create, map[string]string{"http.route": "/api/v1/payment/create", "f2fpay.app_id": m.AppID, "http.response.status_code": "201"})
	pre := tr.one(t, "alipay.trade.precreate", tr.under(create))
	wantAttrs(t, pre, map[string]string{"f2fpay.out_trade_no": no, "f2fpay.alipay.code": "10000", "f2fpay.alipay.outcome": "ok", "rpc.method": "alipay.trade.precreate"})
	tr.one(t, "db.transaction", tr.under(create))

	// The notification: Alipay sent no traceparent, so it begins a trace of its own.
	note := tr.one(t, "alipay.notification", func(s *tracepb.Span) bool { return attr(s, "f2fpay.out_trade_no") == no })
	wantAttrs(t, note, map[string]string{"f2fpay.trade_status": "TRADE_SUCCESS", "f2fpay.verified": "true", "f2fpay.outcome": "accepted"})
	notifyReq := tr.byID[string(note.ParentSpanId)]
	if notifyReq == nil || notifyReq.Name != "POST /notify/alipay" {
		t.Fatalf("the notification's parent is %v, want the POST /notify/alipay request", notifyReq)
	}
	query := tr.one(t, "alipay.trade.query", tr.under(note))
	wantAttrs(t, query, map[string]string{"f2fpay.alipay.code": "10000", "f2fpay.alipay.outcome": "ok"})
	tr.one(t, "db.transaction", tr.under(note))

	// The webhook: in the notification's trace, below it, linked to the dispatcher's pass,
	// and its traceparent names the delivery's span.
	deliver := tr.one(t, "webhook.deliver", tr.under(note))
	wantAttrs(t, deliver, map[string]string{"f2fpay.attempt": "1", "http.response.status_code": "200", "f2fpay.delivery_status": "delivered", "f2fpay.event_type": "payment.succeeded"})
	if len(deliver.Links) != 1 || tr.byID[string(deliver.Links[0].SpanId)].GetName() != "webhook.dispatch" {
		t.Errorf("the delivery links %v, want the dispatcher's pass", deliver.Links)
	}
	wantTP := "00-" + hex.EncodeToString(deliver.TraceId) + "-" + hex.EncodeToString(deliver.SpanId) + "-01"
	if got := sink.got()[0]; got != wantTP {
		t.Errorf("the webhook's traceparent is %q, want %q (the delivery's span)", got, wantTP)
	}

	// Log lines of the request and of the delivery carry their spans' ids.
	logMu.Lock()
	logged := logs.String()
	logMu.Unlock()
	for _, want := range []struct {
		msg  string
		span *tracepb.Span
	}{{"http request", create}, {"alipay call", pre}, {"http request", notifyReq}, {"webhook attempt", deliver}} {
		ids := fmt.Sprintf(`"trace_id":"%x","span_id":"%x"`, want.span.TraceId, want.span.SpanId)
		if !hasLine(logged, `"msg":"`+want.msg+`"`, ids) {
			t.Errorf("no %q line with %s in the log:\n%s", want.msg, ids, logged)
		}
	}

	for _, root := range []*tracepb.Span{create, notifyReq, tr.byID[string(deliver.Links[0].SpanId)]} {
		t.Logf("trace %s:\n%s", hex.EncodeToString(root.TraceId), tr.tree(root))
	}
}

// hasLine reports whether one line of log holds every part.
func hasLine(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// traces indexes exported spans by id and by parent.
type traces struct {
	byID     map[string]*tracepb.Span
	children map[string][]*tracepb.Span
	all      []*tracepb.Span
}

func newTraces(spans []*tracepb.Span) *traces {
	tr := &traces{byID: map[string]*tracepb.Span{}, children: map[string][]*tracepb.Span{}, all: spans}
	for _, s := range spans {
		tr.byID[string(s.SpanId)] = s
		tr.children[string(s.ParentSpanId)] = append(tr.children[string(s.ParentSpanId)], s)
	}
	for _, c := range tr.children {
		sort.Slice(c, func(i, j int) bool { return c[i].StartTimeUnixNano < c[j].StartTimeUnixNano })
	}
	return tr
}

// one returns the first span named name that match accepts, failing the test without one.
func (tr *traces) one(t *testing.T, name string, match func(*tracepb.Span) bool) *tracepb.Span {
	t.Helper()
	for _, s := range tr.all {
		if s.Name == name && match(s) {
			return s
		}
	}
	t.Fatalf("no span %q where expected among %d spans", name, len(tr.all))
	return nil
}

// under matches the descendants of root.
func (tr *traces) under(root *tracepb.Span) func(*tracepb.Span) bool {
	return func(s *tracepb.Span) bool {
		for p := tr.byID[string(s.ParentSpanId)]; p != nil; p = tr.byID[string(p.ParentSpanId)] {
			if p == root {
				return true
			}
		}
		return false
	}
}

// tree draws root and its descendants: name, duration, start after root, key attributes.
func (tr *traces) tree(root *tracepb.Span) string {
	var b strings.Builder
	var walk func(s *tracepb.Span, depth int)
	walk = func(s *tracepb.Span, depth int) {
		d := time.Duration(s.EndTimeUnixNano - s.StartTimeUnixNano)
		off := time.Duration(s.StartTimeUnixNano - root.StartTimeUnixNano)
		fmt.Fprintf(&b, "%s%-*s %8.2f ms  (+%.2f ms)%s\n", strings.Repeat("  ", depth), 34-2*depth, s.Name,
			float64(d.Microseconds())/1000, float64(off.Microseconds())/1000, keyAttrs(s))
		for _, c := range tr.children[string(s.SpanId)] {
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}

func keyAttrs(s *tracepb.Span) string {
	var out []string
	for _, k := range []string{"http.response.status_code", "f2fpay.app_id", "f2fpay.out_trade_no", "f2fpay.alipay.code",
		"f2fpay.alipay.sub_code", "f2fpay.alipay.outcome", "f2fpay.outcome", "f2fpay.attempt", "f2fpay.delivery_status", "f2fpay.deliveries", "db.system.name"} {
		if v := attr(s, k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "  " + strings.Join(out, " ")
}

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return anyValue(a.Value)
		}
	}
	return ""
}

func anyValue(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	}
	return v.String()
}

func wantAttrs(t *testing.T, s *tracepb.Span, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := attr(s, k); got != v {
			t.Errorf("span %s: %s = %q, want %q", s.Name, k, got, v)
		}
	}
}
