package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/httpapi"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/ratelimit"
	"github.com/f2fpay/f2fpay/internal/worker"
)

// docSecret is the one example API secret docs/api.md signs its worked requests with.
func docSecret(t *testing.T, doc *mdDoc) string { return docExample(t, doc, "sk_") }

// docWebhookSecret is the one example webhook secret docs/api.md signs its webhook with.
func docWebhookSecret(t *testing.T, doc *mdDoc) string { return docExample(t, doc, "whsec_") }

// docExample is the one secret of docs/api.md with prefix and 40 characters after it.
func docExample(t *testing.T, doc *mdDoc, prefix string) string {
	t.Helper()
	found := map[string]bool{}
	for _, s := range regexp.MustCompile(prefix+`[A-Za-z0-9]{40}`).FindAllString(doc.text, -1) {
		found[s] = true
	}
	if len(found) != 1 {
		t.Fatalf("docs/api.md should name exactly one example secret %s…, found %d", prefix, len(found))
	}
	for s := range found {
		return s
	}
	return ""
}

// parseHTTP reads a request written in a ```http block, returning it and its exact body.
func parseHTTP(t *testing.T, block string) (*http.Request, []byte) {
	t.Helper()
	head, body, _ := strings.Cut(block, "\n\n")
	raw := strings.ReplaceAll(head, "\n", "\r\n") + "\r\n\r\n" + body
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("docs/api.md: a ```http block does not parse: %v\n%s", err, block)
	}
	got, err := io.ReadAll(req.Body)
	if err != nil || string(got) != body {
		t.Fatalf("docs/api.md: Content-Length of a ```http block does not match its %d-byte body (%v)", len(body), err)
	}
	return req, got
}

// TestDocSigningExample: each worked request of docs/api.md's Authentication section
// carries the X-Signature that client.Sign computes, and the string to sign printed after
// it is client.StringToSign's. (The gateway accepting client.Sign's signatures is tested
// in internal/httpapi.)
func TestDocSigningExample(t *testing.T) {
	doc := loadDoc(t)
	secret := docSecret(t, doc)
	fences := doc.section(t, 2, "Authentication").fences()
	examples := 0
	for i, f := range fences {
		if f.info != "http" {
			continue
		}
		examples++
		req, body := parseHTTP(t, f.body)
		h := req.Header
		ts, nonce, path, query := h.Get("X-Timestamp"), h.Get("X-Nonce"), req.URL.EscapedPath(), req.URL.RawQuery
		if want := client.Sign(secret, req.Method, path, query, ts, nonce, body); h.Get("X-Signature") != want {
			t.Errorf("docs/api.md: %s %s has X-Signature %s; client.Sign gives %s", req.Method, path, h.Get("X-Signature"), want)
		}
		if i+1 >= len(fences) || fences[i+1].info != "text" {
			t.Errorf("docs/api.md: %s %s is not followed by a ```text block with its string to sign", req.Method, path)
			continue
		}
		want := client.StringToSign(req.Method, path, client.CanonicalQuery(req.URL.Query()), ts, nonce, body)
		if fences[i+1].body != want {
			t.Errorf("docs/api.md: string to sign of %s %s is\n%s\nclient.StringToSign gives\n%s", req.Method, path, fences[i+1].body, want)
		}
	}
	if examples < 2 {
		t.Errorf("docs/api.md Authentication has %d worked requests; want one with a body and one with a query", examples)
	}
}

// TestDocWebhookExample: the delivery shown under Webhooks is signed with the example
// webhook secret as the gateway signs (worker.SignatureHeader) and as client.VerifyWebhook
// checks, not with the API secret, carries the headers the dispatcher sets, and its body is
// an event as api/openapi.yaml describes it.
func TestDocWebhookExample(t *testing.T) {
	spec, doc := loadSpec(t), loadDoc(t)
	secret, apiSecret := docWebhookSecret(t, doc), docSecret(t, doc)
	sec := doc.section(t, 2, "Webhooks")
	var req *http.Request
	var body []byte
	for _, f := range sec.fences() {
		if f.info == "http" {
			req, body = parseHTTP(t, f.body)
			break
		}
	}
	if req == nil {
		t.Fatal("docs/api.md Webhooks has no ```http delivery")
	}
	ts, sig := req.Header.Get("X-F2FPay-Timestamp"), req.Header.Get("X-F2FPay-Signature")
	if want := worker.SignatureHeader([][]byte{[]byte(secret)}, ts, body); sig != want {
		t.Errorf("docs/api.md: the webhook's X-F2FPay-Signature is %s; the gateway sends %s", sig, want)
	}
	sentAt, _ := strconv.ParseInt(ts, 10, 64)
	at := client.WithWebhookClock(func() time.Time { return time.Unix(sentAt, 0) })
	if err := client.VerifyWebhook(secret, ts, sig, body, at); err != nil {
		t.Errorf("docs/api.md: client.VerifyWebhook refuses the webhook example: %v", err)
	}
	if err := client.VerifyWebhook(apiSecret, ts, sig, body, at); err == nil {
		t.Error("docs/api.md: the webhook example verifies with the API secret")
	}
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("webhook body: %v", err)
	}
	if err := spec.Components.Schemas["Event"].Value.VisitJSON(ev); err != nil {
		t.Errorf("docs/api.md: the webhook body is not an Event: %v", err)
	}
	if ev["id"] != req.Header.Get("X-F2FPay-Event-Id") {
		t.Errorf("docs/api.md: X-F2FPay-Event-Id %q is not the body's id %v", req.Header.Get("X-F2FPay-Event-Id"), ev["id"])
	}

	sent := map[string]bool{} // the X-F2FPay-* headers the dispatcher sets
	for _, m := range regexp.MustCompile(`Header\.Set\("(X-F2FPay-[A-Za-z-]+)"`).FindAllStringSubmatch(workerSource(t), -1) {
		sent[m[1]] = true
	}
	documented := map[string]bool{}
	for _, tb := range sec.tables() {
		for _, row := range tb.rows {
			if tb.header[0] == "header" {
				documented[codeCell(row[0])] = true
			}
		}
	}
	diffSets(t, "docs/api.md (Webhooks header table)", documented, "internal/worker (headers set)", sent)
}

func workerSource(t *testing.T) string {
	t.Helper()
	names, _ := filepath.Glob("../internal/worker/*.go")
	var b strings.Builder
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		src, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
	}
	return b.String()
}

// TestDocStatesTheLimits: the figures docs/api.md gives for windows, sizes, retries and
// rate limits are the code's, and api/openapi.yaml's longest wait is the handler's.
func TestDocStatesTheLimits(t *testing.T) {
	spec, doc := loadSpec(t), loadDoc(t)
	text := strings.Join(strings.Fields(doc.text), " ")
	var schedule []string
	for _, d := range worker.DefaultSchedule {
		schedule = append(schedule, strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m"))
	}
	for _, fact := range []string{
		fmt.Sprintf("more than %d s from the gateway's clock", int(httpapi.TimestampWindow/time.Second)),
		fmt.Sprintf("within the last %d minutes", int(payment.NonceWindow/time.Minute)),
		fmt.Sprintf("at most %d KiB (larger: `413`", httpapi.DefaultMaxBody>>10),
		fmt.Sprintf("A request URL above %d KiB", httpapi.MaxURLBytes>>10),
		"retried after " + strings.Join(schedule, ", ") + " ",
		fmt.Sprintf("by default %d requests a second with bursts of %d", ratelimit.DefaultClientRate, ratelimit.DefaultClientBurst),
		fmt.Sprintf("(%d a second, bursts of %d)", ratelimit.DefaultIPRate, ratelimit.DefaultIPBurst),
		fmt.Sprintf("`POST /notify/alipay` (%d, bursts of %d;", ratelimit.DefaultNotifyRate, ratelimit.DefaultNotifyBurst),
		fmt.Sprintf("does not verify %d a second, bursts of %d,", ratelimit.DefaultNotifyFailRate, ratelimit.DefaultNotifyFailBurst),
		fmt.Sprintf("more than %d minutes from your clock", int(client.DefaultWebhookTolerance/time.Minute)),
	} {
		if !strings.Contains(text, fact) {
			t.Errorf("docs/api.md does not say %q", fact)
		}
	}
	wait := spec.Paths.Find("/api/v1/payment/query/{out_trade_no}").Get.Parameters.GetByInAndName("query", "wait")
	if wait == nil || wait.Schema.Value.Max == nil || *wait.Schema.Value.Max != httpapi.MaxWait.Seconds() {
		t.Errorf("api/openapi.yaml: the query's wait maximum is not httpapi.MaxWait (%v)", httpapi.MaxWait)
	}
}
