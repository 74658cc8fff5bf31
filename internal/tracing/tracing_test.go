package tracing

import (
	"context"
	"net/http"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestStartFollowsTheParent: Start makes a child with the parent's provider, and nothing
// without a parent.
func TestStartFollowsTheParent(t *testing.T) {
	if _, s := Start(context.Background(), "orphan"); s.SpanContext().IsValid() || s.IsRecording() {
		t.Fatal("a span without a parent")
	}
	rec := tracetest.NewSpanRecorder()
	ctx, root := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("t").Start(context.Background(), "root")
	_, child := Start(ctx, "child", trace.WithSpanKind(trace.SpanKindClient))
	child.End()
	root.End()
	ended := rec.Ended()
	if len(ended) != 2 || ended[0].Name() != "child" || ended[0].Parent().SpanID() != root.SpanContext().SpanID() ||
		ended[0].InstrumentationScope().Name != Scope {
		t.Fatalf("ended %v", ended)
	}
}

// TestTraceParentRoundTrip: the traceparent kept with an event names the span, and read back
// it parents the delivery; Inject writes it into a webhook's headers.
func TestTraceParentRoundTrip(t *testing.T) {
	if TraceParent(context.Background()) != "" {
		t.Fatal("traceparent without a span")
	}
	ctx, s := sdktrace.NewTracerProvider().Tracer("t").Start(context.Background(), "change")
	tp := TraceParent(ctx)
	want := "00-" + s.SpanContext().TraceID().String() + "-" + s.SpanContext().SpanID().String() + "-01"
	if tp != want {
		t.Fatalf("TraceParent = %q, want %q", tp, want)
	}
	back := trace.SpanContextFromContext(WithTraceParent(context.Background(), tp))
	if !back.IsRemote() || back.TraceID() != s.SpanContext().TraceID() || back.SpanID() != s.SpanContext().SpanID() {
		t.Fatalf("read back %+v", back)
	}
	for _, bad := range []string{"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"} {
		if trace.SpanContextFromContext(WithTraceParent(context.Background(), bad)).IsValid() {
			t.Errorf("%q made a parent", bad)
		}
	}
	h := http.Header{}
	Inject(ctx, h)
	if h.Get("Traceparent") != want {
		t.Fatalf("header %v", h)
	}
}
