// Package tracing is f2fpay's OpenTelemetry plumbing: the W3C traceparent propagation used for a
// merchant's requests and for outgoing webhooks, child spans that follow their parent's
// provider, and the slog handler that stamps trace_id and span_id on every log line
// (docs/decisions.md, "Tracing").
//
// No provider is global: the roots of the gateway's traces (the HTTP server, the worker
// passes) are handed one, and everything below them starts its spans with Start, from the
// provider of the span already in the context. Without an enclosing span (doctor, a unit
// test) Start makes no span at all.
package tracing

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Scope is the instrumentation scope of every f2fpay span.
const Scope = "github.com/f2fpay/f2fpay"

// Propagator is the only propagation f2fpay speaks: W3C Trace Context (traceparent,
// tracestate), in from merchants and out on webhooks.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Start starts a child of the span in ctx with that span's provider, so that a package deep
// in the gateway needs no provider of its own. Without a span in ctx it returns ctx and a
// span that records nothing.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return trace.SpanFromContext(ctx).TracerProvider().Tracer(Scope).Start(ctx, name, opts...)
}

// Tracer is f2fpay's tracer of tp; a nil tp gives the no-op one.
func Tracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(Scope)
}

// TraceParent is the traceparent header of the span in ctx, "" when there is none. An event
// keeps it, so that its webhooks join the trace of the change that made it.
func TraceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	Propagator.Inject(ctx, c)
	return c["traceparent"]
}

// WithTraceParent returns ctx with the remote span context that traceparent names as its
// parent; ctx unchanged when traceparent is empty or malformed.
func WithTraceParent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return Propagator.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// Inject writes the traceparent of the span in ctx into h (a webhook's headers).
func Inject(ctx context.Context, h http.Header) {
	Propagator.Inject(ctx, propagation.HeaderCarrier(h))
}
