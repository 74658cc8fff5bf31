package app

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/f2fpay/f2fpay/internal/tracing/otlp"
	"github.com/f2fpay/f2fpay/internal/version"
)

// traceFlushTimeout bounds the export of the last spans at Stop, so that a collector that
// is down cannot hold the exit.
const traceFlushTimeout = 5 * time.Second

// buildTracer builds the tracer provider of tracing.* (docs/decisions.md, "Tracing"): spans
// exported over OTLP/HTTP when tracing.endpoint is set, a no-op provider otherwise. The
// HTTP server and the workers get it; the packages below them follow their parent span.
// New also wraps the logger in tracing.LogHandler, so that every line logged under a span
// carries its trace_id and span_id.
func (a *App) buildTracer() error {
	tc := a.cfg.Tracing
	tp, err := otlp.New(otlp.Config{Endpoint: tc.Endpoint, SampleRatio: tc.SampleRatio,
		ServiceName: tc.ServiceName, Version: version.Version})
	if err != nil {
		return err
	}
	a.tracer = tp
	if u, err := url.Parse(tc.Endpoint); err == nil && tc.Endpoint != "" {
		a.log.Info("tracing: exporting spans over OTLP/HTTP", slog.String("endpoint", u.Redacted()))
	}
	return nil
}

// flushTraces exports the spans still buffered, last in closeAll, so that those of the final
// requests and worker passes are sent.
func (a *App) flushTraces() {
	ctx, cancel := context.WithTimeout(context.Background(), traceFlushTimeout)
	defer cancel()
	if err := a.tracer.Shutdown(ctx); err != nil {
		a.log.Warn("tracing: spans not all exported", slog.Any("err", err))
	}
}
