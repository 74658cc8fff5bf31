package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// stub answers every request with status and body after checking its signature.
func stub(t *testing.T, status int, body string, check func(*http.Request, []byte)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sig := client.Sign("sk_x", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce"), b)
		if r.Header.Get("X-App-Id") != "app_x" || r.Header.Get("X-Signature") != sig || len(r.Header.Get("X-Nonce")) != 32 {
			t.Errorf("bad auth headers %v", r.Header)
		}
		if check != nil {
			check(r, b)
		}
		w.Header().Set("X-Request-Id", "req_stub")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestUpstreamRejectedError(t *testing.T) {
	t.Parallel()
	srv := stub(t, 502, `{"error":{"code":"UPSTREAM_REJECTED","message":"alipay refused","request_id":"req_1",`+
		`"alipay_code":"40004","alipay_sub_code":"ACQ.TRADE_HAS_CLOSE","alipay_sub_msg":"closed"}}`, nil)
	_, err := client.New(srv.URL, "app_x", "sk_x").Close(context.Background(), "A1")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 502 || ce.Code != client.CodeUpstreamRejected || ce.RequestID != "req_1" ||
		ce.AlipayCode != "40004" || ce.AlipaySubCode != "ACQ.TRADE_HAS_CLOSE" || ce.AlipaySubMsg != "closed" {
		t.Fatalf("error %#v", err)
	}
	if client.ErrorCode(err) != client.CodeUpstreamRejected || ce.Temporary() {
		t.Fatalf("ErrorCode %q temporary %v", client.ErrorCode(err), ce.Temporary())
	}
	if !strings.Contains(err.Error(), "ACQ.TRADE_HAS_CLOSE") || !strings.Contains(err.Error(), "req_1") {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestNonGatewayErrorAnswer(t *testing.T) {
	t.Parallel()
	srv := stub(t, 502, `<html>bad gateway</html>`, nil)
	_, err := client.New(srv.URL, "app_x", "sk_x").Query(context.Background(), "A1", client.QueryOptions{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 502 || ce.Code != "" || ce.RequestID != "req_stub" {
		t.Fatalf("error %#v", err)
	}
}

func TestRequestsAreSignedAndShaped(t *testing.T) {
	t.Parallel()
	var gotPath, gotQuery, gotBody string
	srv := stub(t, 201, `{"out_trade_no":"A/1","total_amount":"9.90","status":"pending"}`, func(r *http.Request, b []byte) {
		gotPath, gotQuery, gotBody = r.URL.EscapedPath(), r.URL.RawQuery, string(b)
	})
	c := client.New(srv.URL+"/", "app_x", "sk_x")
	ctx := context.Background()
	p, created, err := c.Create(ctx, client.CreateRequest{OutTradeNo: "A1", TotalAmount: "9.90", Subject: "s"})
	if err != nil || !created || p.TotalAmount != "9.90" {
		t.Fatalf("create: %v %v %+v", err, created, p)
	}
	if gotPath != "/api/v1/payment/create" || gotBody != `{"out_trade_no":"A1","total_amount":"9.90","subject":"s"}` {
		t.Fatalf("path %q body %q", gotPath, gotBody)
	}
	if _, err := c.Query(ctx, "A/1", client.QueryOptions{Sync: true, Wait: 1500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/api/v1/payment/query/A%2F1" || gotQuery != "sync=true&wait=2" || gotBody != "" {
		t.Fatalf("query path %q query %q body %q", gotPath, gotQuery, gotBody)
	}
	if _, err := c.List(ctx, client.ListOptions{Status: "paid", Limit: 5, Cursor: "42"}); err != nil {
		t.Fatal(err)
	}
	if gotQuery != "cursor=42&limit=5&status=paid" {
		t.Fatalf("list query %q", gotQuery)
	}
}
