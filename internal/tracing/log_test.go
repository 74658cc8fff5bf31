package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestLogHandler: a line logged under a span carries its trace_id and span_id, also through
// With and WithGroup loggers and when wrapped twice; a line without a span carries neither.
func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(LogHandler(slog.NewJSONHandler(&buf, nil))))
	ctx, span := sdktrace.NewTracerProvider().Tracer("test").Start(context.Background(), "op")
	defer span.End()
	sc := span.SpanContext()

	log.InfoContext(ctx, "traced", slog.String("k", "v"))
	log.With(slog.String("component", "c")).WarnContext(ctx, "with")
	log.WithGroup("g").InfoContext(ctx, "group", slog.Int("n", 1))
	log.Info("no context")
	log.InfoContext(context.Background(), "no span")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if g, ok := m["g"].(map[string]any); ok { // inside a group the ids are in it
			m = g
		}
		tid, sid := m["trace_id"], m["span_id"]
		if i < 3 && (tid != sc.TraceID().String() || sid != sc.SpanID().String()) {
			t.Errorf("line %d has trace_id %v span_id %v, want %s %s: %s", i, tid, sid, sc.TraceID(), sc.SpanID(), line)
		}
		if i >= 3 && (tid != nil || sid != nil) {
			t.Errorf("line %d without a span has ids: %s", i, line)
		}
		if strings.Count(line, `"trace_id"`) > 1 {
			t.Errorf("line %d has trace_id twice: %s", i, line)
		}
	}
}

// TestLogErrors: OpenTelemetry's own errors become warnings of the process log.
func TestLogErrors(t *testing.T) {
	var buf bytes.Buffer
	LogErrors(slog.New(slog.NewTextHandler(&buf, nil)))
	otel.Handle(errors.New("traces export: connection refused"))
	if !strings.Contains(buf.String(), `level=WARN msg="tracing: export failed" err="traces export: connection refused"`) {
		t.Fatalf("logged %q", buf.String())
	}
}
