package otlp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/tracing"
)

func TestEndpointURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://otel-collector:4318":           "http://otel-collector:4318/v1/traces",
		"http://otel-collector:4318/":          "http://otel-collector:4318/v1/traces",
		"https://c.example.com/custom/traces":  "https://c.example.com/custom/traces",
		"https://c.example.com:443/v1/traces/": "https://c.example.com:443/v1/traces/",
	} {
		if got, err := EndpointURL(in); err != nil || got != want {
			t.Errorf("EndpointURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"otel-collector:4318", "grpc://c:4317", "http://", "/v1/traces", "http://bad host"} {
		if _, err := EndpointURL(bad); err == nil || !strings.Contains(err.Error(), "tracing.endpoint") {
			t.Errorf("EndpointURL(%q): %v", bad, err)
		}
		if _, err := New(Config{Endpoint: bad}); err == nil {
			t.Errorf("New accepted %q", bad)
		}
	}
}

// TestNew: no endpoint gives a no-op provider that still carries an incoming trace id (for
// the logs); an endpoint gives the SDK, sampling every new trace by default. Neither
// reaches the collector before a span is exported.
func TestNew(t *testing.T) {
	off, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	parent := tracing.WithTraceParent(context.Background(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	_, s := tracing.Tracer(off).Start(parent, "op")
	if s.IsRecording() || s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("no-op provider: recording %v, trace %s", s.IsRecording(), s.SpanContext().TraceID())
	}
	if err := off.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}

	on, err := New(Config{Endpoint: "http://127.0.0.1:1", SampleRatio: 0})
	if err != nil {
		t.Fatal(err)
	}
	_, s = tracing.Tracer(on).Start(context.Background(), "op")
	if !s.IsRecording() || !s.SpanContext().IsSampled() {
		t.Errorf("SDK provider, default ratio: recording %v sampled %v", s.IsRecording(), s.SpanContext().IsSampled())
	}
	// Nothing listens at the endpoint: the flush fails (to the error log, LogErrors) and
	// Shutdown still returns within its context.
	s.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = on.Shutdown(ctx)
	if ctx.Err() != nil {
		t.Error("Shutdown outlived its context")
	}
}
