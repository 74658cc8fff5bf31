// Package otlp builds the tracer provider that exports f2fpay's spans over OTLP/HTTP when
// tracing.endpoint is set (docs/decisions.md, "Tracing"). It is apart from package tracing,
// which every layer imports for its spans, so that only the composition root (internal/app)
// links the OpenTelemetry SDK and its exporter.
package otlp

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

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
