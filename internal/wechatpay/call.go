package wechatpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// maxAnswer bounds the body read from WeChat Pay; its answers are a few KiB.
const maxAnswer = 1 << 20

// maxSummary bounds the answer text handed to the Recorder.
const maxSummary = 2000

// request is one APIv3 call.
type request struct {
	op         string // native, query, close, refund, refund_query
	method     string
	path       string // below the gateway, escaped, with its query: /v3/…?mchid=…
	body       any    // marshalled to JSON; nil sends no body
	outTradeNo string // for the log and the Recorder
}

// errorBody is WeChat Pay's error answer.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// do sends r, verifies the answer and decodes a 2xx body into out (nil: none expected). It
// returns nil or an *Error whose Outcome says whether the call may have taken effect.
func (c *Client) do(ctx context.Context, r request, out any) error {
	start := time.Now()
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return &Error{Op: r.op, Outcome: OutcomeRejected, Message: "request not encodable: " + err.Error()}
		}
	}
	status, answer, err := c.exchange(ctx, r, body)
	if err == nil && out != nil {
		if jerr := json.Unmarshal(answer, out); jerr != nil {
			err = &Error{Op: r.op, Status: status, Outcome: OutcomeUnknown, Message: "the answer is not the expected JSON"}
		}
	}
	c.report(r, body, answer, err, time.Since(start), start)
	return err
}

// exchange signs and sends the request and authenticates the answer.
func (c *Client) exchange(ctx context.Context, r request, body []byte) (int, []byte, error) {
	u := c.base + r.path
	req, err := http.NewRequestWithContext(ctx, r.method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, &Error{Op: r.op, Outcome: OutcomeRejected, Message: "bad request URL"}
	}
	auth, err := c.signer.Authorize(r.method, req.URL.RequestURI(), body, c.clock.Now())
	if err != nil {
		return 0, nil, &Error{Op: r.op, Outcome: OutcomeRejected, Message: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Authorization", auth)
	req.Header.Set(HeaderSerial, c.verifier.Serial())
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, &Error{Op: r.op, Outcome: OutcomeUnknown, Message: transportReason(err)}
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil || len(answer) > maxAnswer {
		return resp.StatusCode, nil, &Error{Op: r.op, Status: resp.StatusCode, Outcome: OutcomeUnknown, Message: "the answer could not be read whole"}
	}
	return resp.StatusCode, answer, c.judge(r.op, resp, answer)
}

// judge authenticates an answer and classifies an error answer. A 2xx must carry a valid
// signature. An error answer with a signature must verify; one without is read as what it
// claims, because WeChat Pay does not sign when it could not authenticate the request
// (401 SIGN_ERROR) and its front ends answer 5xx unsigned.
func (c *Client) judge(op string, resp *http.Response, answer []byte) error {
	status := resp.StatusCode
	signed := resp.Header.Get(HeaderSignature) != ""
	if status/100 == 2 || signed {
		if err := c.verifier.Verify(resp.Header, answer, c.clock.Now()); err != nil {
			return &Error{Op: op, Status: status, Outcome: OutcomeUnknown, Unsigned: true, Message: err.Error()}
		}
	}
	if status/100 == 2 {
		return nil
	}
	var eb errorBody
	_ = json.Unmarshal(answer, &eb)
	msg := eb.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &Error{Op: op, Status: status, Code: eb.Code, Message: truncate(msg, 200), Outcome: Classify(status, eb.Code)}
}

// report logs the call and hands it to the Recorder.
func (c *Client) report(r request, body, answer []byte, err error, elapsed time.Duration, start time.Time) {
	outcome := "ok"
	attrs := []any{slog.String("op", r.op), slog.String("out_trade_no", r.outTradeNo), slog.Duration("duration", elapsed)}
	var e *Error
	if errors.As(err, &e) {
		outcome = e.Outcome.String()
		attrs = append(attrs, slog.Int("status", e.Status), slog.String("code", e.Code), slog.String("error", e.Message))
	}
	attrs = append(attrs, slog.String("outcome", outcome))
	switch {
	case e != nil && e.Unsigned:
		c.log.Error("wechat pay answer failed signature verification", attrs...)
	case e != nil && e.Outcome == OutcomeUnknown:
		c.log.Warn("wechat pay call outcome unknown", attrs...)
	case e != nil:
		c.log.Info("wechat pay call rejected", attrs...)
	default:
		c.log.Debug("wechat pay call", attrs...)
	}
	if c.record == nil {
		return
	}
	summary := string(answer)
	if err != nil {
		summary = err.Error()
	}
	if len(summary) > maxSummary {
		summary = summary[:maxSummary] + "…"
	}
	c.record(payment.ChannelCall{OutTradeNo: r.outTradeNo, Method: "wechatpay." + r.op, Request: string(body),
		Response: summary, Outcome: outcome, Duration: elapsed, CreatedAt: start.UTC()})
}

// transportReason names why no answer arrived, without the request (it carries the signature).
func transportReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
