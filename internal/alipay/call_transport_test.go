package alipay

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

func gatewayChannel(t *testing.T, gateway string, timeout time.Duration, rec func(payment.ChannelCall)) *Channel {
	t.Helper()
	ch, err := New(Config{
		AppID: "app1", PrivateKey: privPKCS1PEM(testKey(t, 0)), AlipayPublicKey: pubPEM(&testKey(t, 1).PublicKey),
		GatewayURL: gateway, Timeout: timeout, Recorder: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestRefusedConnectionIsUnknown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	var calls []payment.ChannelCall
	ch := gatewayChannel(t, "http://"+addr+"/sandbox/gateway.do", time.Second, func(c payment.ChannelCall) { calls = append(calls, c) })

	_, err = ch.Query(context.Background(), "o-refused")
	e := wantCode(t, err, payment.CodeUpstreamUnavailable)
	if !payment.IsUnknownOutcome(err) || e.AlipaySubCode != "" {
		t.Fatalf("err = %#v", e)
	}
	if len(calls) != 1 || calls[0].Outcome != "unknown" || calls[0].Method != "alipay.trade.query" || calls[0].OutTradeNo != "o-refused" {
		t.Fatalf("recorded %+v", calls)
	}
	if strings.Contains(calls[0].Request, "sign") || !strings.Contains(calls[0].Request, `"out_trade_no":"o-refused"`) {
		t.Fatalf("recorded request %q", calls[0].Request)
	}
	_, err = ch.Precreate(context.Background(), payment.PrecreateRequest{OutTradeNo: "o-refused", TotalAmount: 100, Subject: "s"})
	wantCode(t, err, payment.CodeUpstreamUnavailable)
}

// hangingGateway accepts requests and never answers until the test ends.
func hangingGateway(t *testing.T) string {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(done) }); srv.Close() })
	return srv.URL + "/sandbox/gateway.do"
}

func TestHangingGatewayTimesOut(t *testing.T) {
	ch := gatewayChannel(t, hangingGateway(t), 200*time.Millisecond, nil)
	start := time.Now()
	err := ch.Close(context.Background(), "o-hang")
	if e := wantCode(t, err, payment.CodeUpstreamUnavailable); !strings.Contains(e.Message, "timed out") {
		t.Errorf("message %q does not say timed out", e.Message)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v with a 200ms timeout", d)
	}
}

func TestContextDeadlineIsUnknown(t *testing.T) {
	ch := gatewayChannel(t, hangingGateway(t), 10*time.Second, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ch.Refund(ctx, payment.RefundRequest{OutTradeNo: "o-hang", RefundNo: "r1", Amount: 100})
	wantCode(t, err, payment.CodeUpstreamUnavailable)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v with a 100ms deadline", d)
	}
}

func TestNonJSONAnswerIsUnknown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
	}))
	defer srv.Close()
	ch := gatewayChannel(t, srv.URL, time.Second, nil)
	_, err := ch.RefundQuery(context.Background(), "o-1", "r-1")
	wantCode(t, err, payment.CodeUpstreamUnavailable)
}

// fakeGateway answers every call with node, signed by signer (nil = no sign), and checks
// the request's timestamp is Beijing time.
func fakeGateway(t *testing.T, node string, signer *rsa.PrivateKey) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		ts, err := time.ParseInLocation("2006-01-02 15:04:05", r.Form.Get("timestamp"), shanghai)
		if err != nil || time.Since(ts).Abs() > time.Minute {
			t.Errorf("timestamp %q is not now in Asia/Shanghai (%v)", r.Form.Get("timestamp"), err)
		}
		method := strings.ReplaceAll(r.Form.Get("method"), ".", "_") + "_response"
		body := `{"` + method + `":` + node
		if signer != nil {
			sum := sha256.Sum256([]byte(node))
			sig, _ := rsa.SignPKCS1v15(rand.Reader, signer, crypto.SHA256, sum[:])
			body += `,"sign":"` + base64.StdEncoding.EncodeToString(sig) + `"`
		}
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.Write([]byte(body + "}"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/gateway.do"
}

const paidNode = `{"code":"10000","msg":"Success","trade_no":"2024","out_trade_no":"o-1","trade_status":"TRADE_SUCCESS","total_amount":"9.90","send_pay_date":"2024-03-01 08:00:00","buyer_id":"2088000000000009"}`

func TestResponseSignature(t *testing.T) {
	// Correctly signed (by the "Alipay" key): parsed, buyer_id read when buyer_user_id is absent.
	ch := gatewayChannel(t, fakeGateway(t, paidNode, testKey(t, 1)), time.Second, nil)
	tr, err := ch.Query(context.Background(), "o-1")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status != payment.TradeSuccess || tr.TotalAmount != 990 || tr.BuyerID != "2088000000000009" ||
		!tr.PaidAt.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("trade %+v", tr)
	}
	for name, gw := range map[string]string{
		"signed by another key": fakeGateway(t, paidNode, testKey(t, 0)),
		"unsigned success":      fakeGateway(t, paidNode, nil),
	} {
		t.Run(name, func(t *testing.T) {
			var calls []payment.ChannelCall
			ch := gatewayChannel(t, gw, time.Second, func(c payment.ChannelCall) { calls = append(calls, c) })
			_, err := ch.Query(context.Background(), "o-1")
			e := wantCode(t, err, payment.CodeUpstreamUnavailable)
			if !strings.Contains(e.Message, "signature") {
				t.Errorf("message %q does not mention the signature", e.Message)
			}
			if len(calls) != 1 || calls[0].Outcome != "unknown" {
				t.Errorf("recorded %+v", calls)
			}
		})
	}
	// The real gateway leaves isv.* errors unsigned: they are still Alipay's answer.
	ch = gatewayChannel(t, fakeGateway(t, `{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}`, nil), time.Second, nil)
	_, err = ch.Query(context.Background(), "o-1")
	if e := wantCode(t, err, payment.CodeUpstreamRejected); e.AlipaySubCode != "isv.invalid-app-id" {
		t.Fatalf("err %#v", e)
	}
}

func TestRefundWithoutFundChangeUnconfirmed(t *testing.T) {
	// Every method gets this node: the refund says fund_change N, the confirming refund
	// query finds no refund fields. Accepted, not confirmed: Succeeded=false, nil error.
	node := `{"code":"10000","msg":"Success","out_trade_no":"o-1","fund_change":"N","refund_fee":"1.00"}`
	ch := gatewayChannel(t, fakeGateway(t, node, testKey(t, 1)), time.Second, nil)
	res, err := ch.Refund(context.Background(), payment.RefundRequest{OutTradeNo: "o-1", RefundNo: "r1", Amount: 100})
	if err != nil || res.Succeeded || !res.Found || res.RefundFee != 100 {
		t.Fatalf("refund: %+v, %v", res, err)
	}
	// refund_amount without refund_status: not (yet) done, as Alipay's current
	// documentation reads an absent refund_status.
	node = `{"code":"10000","msg":"Success","out_trade_no":"o-1","out_request_no":"r1","refund_amount":"1.00","gmt_refund_pay":"2024-03-01 08:00:00"}`
	ch = gatewayChannel(t, fakeGateway(t, node, testKey(t, 1)), time.Second, nil)
	q, err := ch.RefundQuery(context.Background(), "o-1", "r1")
	if err != nil || !q.Found || q.Succeeded || q.Amount != 100 {
		t.Fatalf("refund query without refund_status: %+v, %v (want found, not succeeded)", q, err)
	}
	node = `{"code":"10000","msg":"Success","out_trade_no":"o-1","out_request_no":"r1","refund_amount":"1.00","refund_status":"REFUND_SUCCESS","gmt_refund_pay":"2024-03-01 08:00:00"}`
	ch = gatewayChannel(t, fakeGateway(t, node, testKey(t, 1)), time.Second, nil)
	if q, err = ch.RefundQuery(context.Background(), "o-1", "r1"); err != nil || !q.Succeeded || q.SucceededAt == nil {
		t.Fatalf("refund query with REFUND_SUCCESS: %+v, %v", q, err)
	}
}
