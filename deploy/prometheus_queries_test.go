package deploy_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/f2fpay/f2fpay/internal/metrics"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// contracts are series the rules and the dashboard may use before f2fpay serves them
// (deploy/README.md lists them); every series they use is served now.
var contracts = map[string]bool{}

var metricName = regexp.MustCompile(`\bf2fpay_[a-z0-9_]+`)

// checkQueries evaluates every expression of the rules file and of the dashboard on a
// real Prometheus, and checks that each f2fpay metric they name is one internal/metrics
// serves, or a contract.
func checkQueries(t *testing.T, p *prometheus) {
	t.Helper()
	served := servedNames(t)
	exprs := append(ruleExprs(t), dashboardExprs(t)...)
	for _, e := range exprs {
		var ignored json.RawMessage
		p.api(t, "/api/v1/query?query="+url.QueryEscape(e), &ignored)
		for _, name := range metricName.FindAllString(e, -1) {
			if !served[name] && !contracts[name] {
				t.Errorf("%s names %s, which internal/metrics does not serve", e, name)
			}
		}
	}
	t.Logf("%d rule and dashboard queries ran on Prometheus; every f2fpay series they name is served or a contract", len(exprs))
}

// servedNames are the sample names internal/metrics exposes once each series has a value.
func servedNames(t *testing.T) map[string]bool {
	m := metrics.New(func(context.Context) (payment.QueueDepths, error) { return payment.QueueDepths{}, nil }, nil)
	m.ObserveHTTP(http.MethodGet, "/health", http.StatusOK, time.Millisecond)
	m.ObserveAlipayCall(payment.ChannelCall{Method: "alipay.trade.query", Outcome: "ok", Duration: time.Millisecond})
	m.ObserveNotification("accepted")
	m.ObserveWebhookAttempt("delivered")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	names := map[string]bool{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names[strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]] = true
	}
	if !names["f2fpay_http_requests_total"] {
		t.Fatalf("internal/metrics serves no f2fpay_http_requests_total:\n%s", rec.Body)
	}
	return names
}

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert string `yaml:"alert"`
			Expr  string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readRules(t *testing.T) ruleFile {
	b, err := os.ReadFile("prometheus/f2fpay.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// ruleNames are the alert names of the rules file.
func ruleNames(t *testing.T) map[string]bool {
	names := map[string]bool{}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			names[r.Alert] = true
		}
	}
	if len(names) == 0 {
		t.Fatal("no rules in prometheus/f2fpay.rules.yml")
	}
	return names
}

func ruleExprs(t *testing.T) []string {
	var out []string
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			out = append(out, r.Expr)
		}
	}
	return out
}

type panel struct {
	ID         int     `json:"id"`
	Type       string  `json:"type"`
	Title      string  `json:"title"`
	Datasource any     `json:"datasource"`
	Panels     []panel `json:"panels"`
	Targets    []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// dashboardExprs checks the dashboard's shape (unique panel ids, a datasource and a query
// on every panel) and returns its queries with Grafana's variables filled in.
func dashboardExprs(t *testing.T) []string {
	b, err := os.ReadFile("grafana/f2fpay.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string  `json:"uid"`
		Title  string  `json:"title"`
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/f2fpay.json: %v", err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
		t.Fatal("grafana/f2fpay.json: no uid, title or panels")
	}
	vars := strings.NewReplacer("$job", "f2fpay", "$instance", ".*", "$__rate_interval", "1m")
	seen := map[int]bool{}
	var out []string
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if seen[p.ID] {
				t.Errorf("panel id %d used twice", p.ID)
			}
			seen[p.ID] = true
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || len(p.Targets) == 0 {
				t.Errorf("panel %q has no datasource or no query", p.Title)
			}
			for _, tg := range p.Targets {
				out = append(out, vars.Replace(tg.Expr))
			}
		}
	}
	walk(d.Panels)
	return out
}

// sample is one element of an instant query's vector result.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s sample) value() string { v, _ := s.Value[1].(string); return v }

// api GETs a Prometheus HTTP API path and decodes its data; a non-success status fails.
func (p *prometheus) api(t *testing.T, path string, data any) {
	t.Helper()
	resp, err := http.Get(p.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Status != "success" {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, env.Data)
	}
}

// query runs an instant query and returns its vector.
func (p *prometheus) query(t *testing.T, q string) []sample {
	t.Helper()
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	p.api(t, "/api/v1/query?query="+url.QueryEscape(q), &data)
	var v []sample
	if data.ResultType == "vector" {
		_ = json.Unmarshal(data.Result, &v)
	}
	return v
}

// rules maps each loaded rule's name to its health.
func (p *prometheus) rules(t *testing.T) map[string]string {
	var data struct {
		Groups []struct {
			Rules []struct {
				Name, Health, LastError string
			} `json:"rules"`
		} `json:"groups"`
	}
	p.api(t, "/api/v1/rules", &data)
	out := map[string]string{}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			if r.LastError != "" {
				t.Errorf("rule %s: %s", r.Name, r.LastError)
			}
			out[r.Name] = r.Health
		}
	}
	return out
}

// alertState is the state of the named alert ("pending", "firing") or "" when inactive.
func (p *prometheus) alertState(t *testing.T, name string) string {
	var data struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	}
	p.api(t, "/api/v1/alerts", &data)
	for _, a := range data.Alerts {
		if a.Labels["alertname"] == name {
			return a.State
		}
	}
	return ""
}
