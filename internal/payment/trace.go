package payment

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceScope is the instrumentation scope of the core's spans, internal/tracing's Scope.
const traceScope = "github.com/f2fpay/f2fpay"

// startSpan starts a child of the span in ctx with that span's provider; without one it
// makes no span (docs/decisions.md, "Tracing").
func startSpan(ctx context.Context, name string) (context.Context, trace.Span) {
	return trace.SpanFromContext(ctx).TracerProvider().Tracer(traceScope).Start(ctx, name)
}

// endNotificationSpan ends a notification's span with what its audit row records.
func endNotificationSpan(span trace.Span, rec *NotificationRecord) {
	span.SetAttributes(attribute.String("f2fpay.out_trade_no", rec.OutTradeNo),
		attribute.String("f2fpay.trade_status", rec.TradeStatus), attribute.Bool("f2fpay.verified", rec.Verified),
		attribute.String("f2fpay.outcome", outcomeClass(rec.Outcome)))
	switch {
	case rec.Outcome == "": // over its source's budget of unverified ones
		span.SetStatus(codes.Error, "throttled")
	case strings.HasPrefix(rec.Outcome, "refused"):
		span.SetStatus(codes.Error, rec.Outcome)
	}
	span.End()
}

// traceParent is the W3C traceparent of the span in ctx, "" when there is none.
func traceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c["traceparent"]
}
