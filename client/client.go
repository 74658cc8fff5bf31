// Package client is the Go client of the f2fpay merchant API (docs/api.md). It signs every
// request with the client's secret as the reference's "Authentication" specifies, decodes
// answers into typed objects and error answers into *Error.
//
//	c := client.New("https://pay.example.com", appID, secret)
//	p, created, err := c.Create(ctx, client.CreateRequest{OutTradeNo: "A1", TotalAmount: "9.90", Subject: "Cola"})
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponse bounds how much of an answer the client reads.
const maxResponse = 8 << 20

// Client calls the merchant API of one gateway as one API client. It is safe for
// concurrent use.
type Client struct {
	base   string // scheme://host[/prefix], no trailing slash
	appID  string
	secret string
	hc     *http.Client
	now    func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc (timeouts, proxies, TLS).
// The default is an http.Client with a 90 s timeout, enough for a 60 s Query wait.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithClock makes the client take X-Timestamp from now instead of the system clock.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New returns a client for the gateway at baseURL (e.g. "https://pay.example.com") that
// authenticates as appID with secret. A path prefix in baseURL is part of the signed path,
// so a proxy in front of the gateway must pass paths through unchanged.
func New(baseURL, appID, secret string, opts ...Option) *Client {
	c := &Client{
		base: strings.TrimRight(baseURL, "/"), appID: appID, secret: secret,
		hc: &http.Client{Timeout: 90 * time.Second}, now: time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Create asks for an order and its QR code. created is true for a new order (201) and
// false when an order with the same out_trade_no and the same parameters already existed
// (200). Errors: *Error with INVALID_PARAMETER, CONFLICT, UPSTREAM_REJECTED,
// UPSTREAM_UNAVAILABLE (safe to repeat), and the transport's errors.
func (c *Client) Create(ctx context.Context, req CreateRequest) (p *Payment, created bool, err error) {
	var out Payment
	status, err := c.do(ctx, http.MethodPost, "/api/v1/payment/create", nil, req, &out)
	if err != nil {
		return nil, false, err
	}
	return &out, status == http.StatusCreated, nil
}

// Query returns the order. Errors: NOT_FOUND, and UPSTREAM_* with Sync.
func (c *Client) Query(ctx context.Context, outTradeNo string, opts QueryOptions) (*Payment, error) {
	q := url.Values{}
	if opts.Sync {
		q.Set("sync", "true")
	}
	if opts.Wait > 0 {
		secs := (opts.Wait + time.Second - 1) / time.Second
		q.Set("wait", strconv.FormatInt(int64(secs), 10))
	}
	var p Payment
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/payment/query/"+url.PathEscape(outTradeNo), q, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Close closes an unpaid order so that its QR can no longer be paid. Errors: NOT_FOUND,
// CONFLICT (already paid), UPSTREAM_*.
func (c *Client) Close(ctx context.Context, outTradeNo string) (*Payment, error) {
	var p Payment
	body := map[string]string{"out_trade_no": outTradeNo}
	if _, err := c.do(ctx, http.MethodPost, "/api/v1/payment/close", nil, body, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Refund refunds part or all of a paid order; the same RefundNo again returns the same
// refund. Errors: INVALID_PARAMETER, NOT_FOUND, CONFLICT, UNPROCESSABLE (unpaid, or above
// the refundable amount), UPSTREAM_REJECTED, UPSTREAM_UNAVAILABLE (safe to repeat).
func (c *Client) Refund(ctx context.Context, req RefundRequest) (*Refund, error) {
	var r Refund
	if _, err := c.do(ctx, http.MethodPost, "/api/v1/payment/refund", nil, req, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// RefundQuery returns one refund. Errors: NOT_FOUND.
func (c *Client) RefundQuery(ctx context.Context, outTradeNo, refundNo string) (*Refund, error) {
	var r Refund
	path := "/api/v1/payment/refund/query/" + url.PathEscape(outTradeNo) + "/" + url.PathEscape(refundNo)
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// List returns a page of this client's orders, newest first. Errors: INVALID_PARAMETER.
func (c *Client) List(ctx context.Context, opts ListOptions) (*PaymentList, error) {
	q := url.Values{}
	if opts.Status != "" {
		q.Set("status", string(opts.Status))
	}
	if opts.Limit != 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.Cursor != "" {
		q.Set("cursor", opts.Cursor)
	}
	var l PaymentList
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/payment/list", q, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Events returns up to limit (0 = the server's default) of this client's events after the
// sequence number after, oldest first. Errors: INVALID_PARAMETER.
func (c *Client) Events(ctx context.Context, after int64, limit int) (*EventList, error) {
	q := url.Values{}
	if after != 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var l EventList
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/payment/events", q, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Resend asks the gateway to deliver an event's webhook again now (202). Errors: *Error
// with NOT_FOUND for an unknown event or another client's.
func (c *Client) Resend(ctx context.Context, eventID string) (*Event, error) {
	var out Event
	if _, err := c.do(ctx, http.MethodPost, "/api/v1/payment/events/"+url.PathEscape(eventID)+"/resend", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// do sends one signed request and decodes a 2xx answer into out; it returns the status.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("f2fpay: encode request: %w", err)
		}
	}
	u, err := url.Parse(c.base + path)
	if err != nil {
		return 0, fmt.Errorf("f2fpay: bad URL: %w", err)
	}
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("f2fpay: build request: %w", err)
	}
	c.sign(req, body)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("f2fpay: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, decodeError(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("f2fpay: decode answer: %w", err)
	}
	return resp.StatusCode, nil
}

// sign sets the four authentication headers (docs/api.md, "Authentication") on req.
func (c *Client) sign(req *http.Request, body []byte) {
	ts := strconv.FormatInt(c.now().Unix(), 10)
	nonce := NewNonce()
	req.Header.Set("X-App-Id", c.appID)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", Sign(c.secret, req.Method, req.URL.EscapedPath(), req.URL.RawQuery, ts, nonce, body))
}

// NewNonce returns 32 random characters of [A-Za-z0-9_-] from crypto/rand.
func NewNonce() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand does not fail; it panics internally instead
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeError(resp *http.Response, data []byte) error {
	var env struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(data, &env) == nil && env.Error != nil && env.Error.Code != "" {
		env.Error.Status = resp.StatusCode
		return env.Error
	}
	return &Error{Status: resp.StatusCode, Message: "unexpected answer: " + resp.Status,
		RequestID: resp.Header.Get("X-Request-Id")}
}
