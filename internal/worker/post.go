package worker

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/tracing"
)

// responseKeep is how much of a webhook answer each attempt keeps.
const responseKeep = 256

// Sign returns the signature of a webhook body sent at timestamp (unix seconds) under one
// webhook secret: lowercase hex HMAC-SHA256(secret, timestamp + "." + body) (docs/api.md,
// "Webhooks").
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// SignatureHeader returns the X-F2FPay-Signature of a webhook: one "v1=" + Sign entry per
// secret, in the order given (newest first), joined by commas. A receiver accepts the
// webhook when any entry matches a secret it holds, so a rotation's grace period needs no
// coordination.
func SignatureHeader(secrets [][]byte, timestamp string, body []byte) string {
	entries := make([]string, len(secrets))
	for i, s := range secrets {
		entries[i] = "v1=" + Sign(s, timestamp, body)
	}
	return strings.Join(entries, ",")
}

// post sends one signed webhook and describes the attempt; Error is "" only for a 2xx.
func (d *Dispatcher) post(ctx context.Context, target string, secrets [][]byte, e *payment.Event) *payment.DeliveryAttempt {
	a := &payment.DeliveryAttempt{EventID: e.ID, URL: target, At: payment.Now(d.cfg.Clock)}
	body, err := json.Marshal(payment.EventView(e))
	if err != nil {
		a.Error = "encoding: " + err.Error()
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		a.Error = "bad URL"
		return a
	}
	ts := strconv.FormatInt(a.At.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "f2fpay-webhook/1")
	req.Header.Set("X-F2FPay-Event-Id", e.ID)
	req.Header.Set("X-F2FPay-Timestamp", ts)
	req.Header.Set("X-F2FPay-Signature", SignatureHeader(secrets, ts, body))
	tracing.Inject(ctx, req.Header) // traceparent of the delivery, in the event's trace
	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		a.Latency = time.Since(start)
		a.Error = transportError(err)
		return a
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, responseKeep))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	a.Latency = time.Since(start)
	a.StatusCode = resp.StatusCode
	a.Response = strings.ReplaceAll(strings.ToValidUTF8(string(head), "\uFFFD"), "\x00", "")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		a.Error = fmt.Sprintf("HTTP %d (redirects are not followed)", resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		a.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return a
}

// transportError describes a failed POST without its URL (which may carry a token).
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if re, ok := refusal(err); ok {
		return re.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return err.Error()
}
