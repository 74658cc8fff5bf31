// Package metrics is the gateway's Prometheus instrumentation (docs/deploy.md, deploy/README.md): requests, Alipay
// calls, notifications, webhook attempts and queue depths, on a registry of its own. The
// other packages know nothing of Prometheus; cmd wires their hooks to the Observe methods.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// DepthTimeout bounds the queue-depth queries of one scrape.
const DepthTimeout = 5 * time.Second

// Metrics holds the gateway's series. Its methods are safe for concurrent use.
type Metrics struct {
	reg           *prometheus.Registry
	log           *slog.Logger
	alipayCerts   *prometheus.CounterVec // certs.go
	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	alipayCalls   *prometheus.CounterVec
	alipayLatency *prometheus.HistogramVec
	notifications *prometheus.CounterVec
	webhooks      *prometheus.CounterVec
	breakerState  prometheus.Gauge
	buildInfo     *prometheus.GaugeVec
}

// New builds the metrics on a fresh registry, with the Go and process collectors. depths
// is called at every scrape for the queue gauges; nil leaves them out. logger may be nil.
func New(depths func(context.Context) (payment.QueueDepths, error), logger *slog.Logger) *Metrics {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: logger}
	m.registerCerts()
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "f2fpay_http_requests_total",
		Help: "HTTP requests served, by method, route pattern and status."}, []string{"method", "route", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "f2fpay_http_request_duration_seconds",
		Help: "Time to serve an HTTP request, by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.alipayCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "f2fpay_alipay_calls_total",
		Help: "Alipay OpenAPI calls, by method and outcome (ok, rejected, unknown)."}, []string{"method", "outcome"})
	m.alipayLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "f2fpay_alipay_call_duration_seconds",
		Help: "Duration of Alipay OpenAPI calls, by method.", Buckets: prometheus.DefBuckets}, []string{"method"})
	m.notifications = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "f2fpay_notifications_total",
		Help: "Alipay notifications received, by outcome (accepted, duplicate, refused, throttled: refused under a rate limit and not stored)."}, []string{"outcome"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "f2fpay_webhook_attempts_total",
		Help: "Webhook delivery attempts, by result (delivered, failed, dead)."}, []string{"result"})
	// The breaker's gauge exists from the start at 0 (closed), so that deploy/README.md's
	// breaker alert has a series before the first trip.
	m.breakerState = prometheus.NewGauge(prometheus.GaugeOpts{Name: "f2fpay_alipay_breaker_state",
		Help: "State of this instance's circuit breaker around Alipay: 0 closed, 1 half-open, 2 open."})
	m.buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "f2fpay_build_info",
		Help: "Always 1; its labels name the running build (version, commit, commit date, Go version)."},
		[]string{"version", "commit", "date", "goversion"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.alipayCalls, m.alipayLatency, m.notifications, m.webhooks,
		m.breakerState, m.buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if depths != nil {
		m.reg.MustRegister(&depthCollector{depths: depths})
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format. A failed depth query
// leaves the gauges out of that scrape (and is logged) rather than failing it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: errorLog{m.log},
		ErrorHandling: promhttp.ContinueOnError, Registry: m.reg})
}

// SetBuildInfo makes f2fpay_build_info name this build, so that dashboards can tell which
// version each instance runs. A second call replaces the first.
func (m *Metrics) SetBuildInfo(version, commit, date string) {
	m.buildInfo.Reset()
	m.buildInfo.WithLabelValues(version, commit, date, runtime.Version()).Set(1)
}

// ObserveHTTP counts one served request. route is the matched pattern ("" = unmatched), never
// the raw path, and unknown methods become "OTHER", so that callers cannot grow the series.
func (m *Metrics) ObserveHTTP(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(knownMethod(method), route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveAlipayCall counts one call of the Alipay channel (its Recorder's record).
func (m *Metrics) ObserveAlipayCall(c payment.ChannelCall) {
	m.alipayCalls.WithLabelValues(c.Method, c.Outcome).Inc()
	m.alipayLatency.WithLabelValues(c.Method).Observe(c.Duration.Seconds())
}

// SetAlipayBreakerState sets f2fpay_alipay_breaker_state: 0 closed, 1 half-open, 2 open
// (internal/breaker's State values; wire it to the breaker's OnStateChange).
func (m *Metrics) SetAlipayBreakerState(state int) { m.breakerState.Set(float64(state)) }

// ObserveNotification counts one notification by its final outcome.
func (m *Metrics) ObserveNotification(outcome string) { m.notifications.WithLabelValues(outcome).Inc() }

// ObserveWebhookAttempt counts one webhook attempt by its result.
func (m *Metrics) ObserveWebhookAttempt(result string) { m.webhooks.WithLabelValues(result).Inc() }

func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// errorLog hands promhttp's errors to slog.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) {
	l.log.Warn("metrics scrape error", slog.String("err", strings.TrimSpace(fmt.Sprintln(v...))))
}
