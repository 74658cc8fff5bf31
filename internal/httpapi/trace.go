package httpapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/tracing"
)

// traced wraps the engine in a server span per request (docs/decisions.md, "Tracing"). A
// merchant's traceparent on /api/ makes the span its child; elsewhere (Alipay's notify, the
// cashier and console) an incoming traceparent is only linked, since anyone may send one.
// Probes, metrics and the embedded sandbox make no spans.
func traced(h http.Handler, tp trace.TracerProvider) http.Handler {
	if tp == nil {
		return h
	}
	return otelhttp.NewHandler(h, "http",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(tracing.Propagator),
		otelhttp.WithPublicEndpointFn(func(r *http.Request) bool { return !strings.HasPrefix(r.URL.Path, "/api/") }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			p := r.URL.Path
			return p != "/health" && p != "/ready" && p != "/metrics" && !strings.HasPrefix(p, "/sandbox/")
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// traceRoute names the request's span after its route template ("POST
// /api/v1/payment/create") once Gin has matched it, and adds the request id and, after the
// handlers ran, the authenticated client's app id. The template also replaces otelhttp's
// url.path: paths hold cashier tokens and order numbers, which a trace backend need not keep.
func (s *server) traceRoute(c *gin.Context) {
	span := trace.SpanFromContext(c.Request.Context())
	if !span.IsRecording() {
		c.Next()
		return
	}
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	span.SetName(c.Request.Method + " " + route)
	span.SetAttributes(attribute.String("http.route", c.FullPath()), attribute.String("url.path", route),
		attribute.String("f2fpay.request_id", requestIDOf(c)))
	c.Next()
	if cl, ok := c.Value(ctxClient).(*payment.Merchant); ok {
		span.SetAttributes(attribute.String("f2fpay.app_id", cl.AppID))
	}
	if code := c.GetString(ctxErrorCode); code != "" {
		span.SetAttributes(attribute.String("f2fpay.error_code", code))
	}
}
