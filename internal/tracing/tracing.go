// Package tracing is f2fpay's OpenTelemetry setup: the tracer provider that exports spans
// over OTLP/HTTP when tracing.endpoint is set, the W3C traceparent propagation used for a
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
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Scope is the instrumentation scope of every f2fpay span.
const Scope = "github.com/f2fpay/f2fpay"

// DefaultServiceName is service.name when tracing.service_name is unset.
const DefaultServiceName = "f2fpay"

// Config is how spans leave the process.
type Config struct {
	// Endpoint is the OTLP/HTTP collector, e.g. http://otel-collector:4318; a URL without a
	// path gets /v1/traces. Empty: no export, no sampling, no cost (logs still carry the
	// trace id a merchant sent).
	Endpoint string
	// SampleRatio is the share of new traces sampled, in (0, 1]; 0 = 1. A trace begun by a
	// merchant follows the merchant's sampled flag.
	SampleRatio float64
	// ServiceName is the resource's service.name; "" = DefaultServiceName.
	ServiceName string
	// Version is the resource's service.version.
	Version string
}

// Provider is the tracer provider of one gateway and the way to flush it.
type Provider struct {
	trace.TracerProvider
	sdk *sdktrace.TracerProvider // nil when nothing is exported
}

// New builds the provider cfg asks for: the SDK with a batching OTLP/HTTP exporter and a
// parent-based ratio sampler when Endpoint is set, a no-op provider otherwise. It fails on
// an endpoint that is not an absolute http(s) URL; it does not reach the collector.
func New(cfg Config) (*Provider, error) {
	if cfg.Endpoint == "" {
		return &Provider{TracerProvider: noop.NewTracerProvider()}, nil
	}
	endpoint, err := EndpointURL(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing.endpoint: %v", err)
	}
	name := cfg.ServiceName
	if name == "" {
		name = DefaultServiceName
	}
	ratio := cfg.SampleRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", name), attribute.String("service.version", cfg.Version))),
	)
	return &Provider{TracerProvider: tp, sdk: tp}, nil
}

// Shutdown exports the spans still buffered and stops the exporter, within ctx. A no-op
// provider has nothing to flush.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil || p.sdk == nil {
		return nil
	}
	return p.sdk.Shutdown(ctx)
}

// EndpointURL checks tracing.endpoint and returns the URL spans are posted to: the path
// /v1/traces is added when the URL has none.
func EndpointURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("tracing.endpoint %q: want an absolute http(s) URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318", endpoint)
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

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
