package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

func (b *testBundle) authCode(t *testing.T, behaviour string) string {
	t.Helper()
	c, err := b.sb.NewAuthCode(behaviour, "")
	if err != nil {
		t.Fatal(err)
	}
	return c.AuthCode
}

func chargeBody(no, code string) []byte {
	return fmt.Appendf(nil, `{"out_trade_no":%q,"total_amount":"9.90","subject":"till","auth_code":%q,"timeout_seconds":10}`, no, code)
}

// TestCharge: a code that pays answers 200 paid (kind barcode, no QR) and its repeat the same
// order; ?wait=0 answers 202 pending; Alipay's refusal is 402 PAYMENT_FAILED with its codes,
// also on the repeat; other parameters or a QR order's number are 409; bad input is 400.
func TestCharge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	post := func(query string, body []byte) rawResponse {
		return b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/charge", query: query, body: body})
	}
	code := b.authCode(t, sandbox.BehaviourPay)
	for i := range 2 {
		r := post("", chargeBody("T_charge_1", code))
		var p payment.PaymentObject
		if r.status != http.StatusOK || json.Unmarshal(r.body, &p) != nil || p.Status != payment.StatusPaid ||
			p.Kind != payment.KindBarcode || p.QRCode != "" || p.CashierURL != "" || p.QRImageURL != "" || p.TradeNo == "" {
			t.Fatalf("charge %d: %d %s", i, r.status, r.body)
		}
	}
	if r := post("", chargeBody("T_charge_1", b.authCode(t, sandbox.BehaviourPay))); r.status != http.StatusConflict {
		t.Errorf("same number, another code: %d %s", r.status, r.body)
	}
	if _, _, err := b.client.Create(context.Background(), createReq("T_charge_qr", "9.90")); err != nil {
		t.Fatal(err)
	}
	wantError(t, post("", chargeBody("T_charge_qr", b.authCode(t, sandbox.BehaviourPay))), http.StatusConflict, "CONFLICT", "already exists")

	r := post("wait=0", chargeBody("T_charge_nowait", b.authCode(t, sandbox.BehaviourPassword)))
	if r.status != http.StatusAccepted || !json.Valid(r.body) {
		t.Fatalf("?wait=0: %d %s", r.status, r.body)
	}

	poor := b.authCode(t, sandbox.BehaviourInsufficientBalance)
	for range 2 {
		r := post("", chargeBody("T_charge_poor", poor))
		wantError(t, r, http.StatusPaymentRequired, "PAYMENT_FAILED", "买家余额不足")
		var env struct{ Error client.Error }
		if json.Unmarshal(r.body, &env) != nil || env.Error.AlipayCode != "40004" || env.Error.AlipaySubCode != "ACQ.BUYER_BALANCE_NOT_ENOUGH" {
			t.Fatalf("402 body %s", r.body)
		}
	}

	wantError(t, post("", chargeBody("T_charge_bad", "12345")), http.StatusBadRequest, "INVALID_PARAMETER", "auth_code")
	wantError(t, post("", fmt.Appendf(nil, `{"out_trade_no":"T_charge_t","total_amount":"1.00","subject":"s","auth_code":%q,"timeout_seconds":9}`,
		b.authCode(t, sandbox.BehaviourPay))), http.StatusBadRequest, "INVALID_PARAMETER", "timeout_seconds")
	wantError(t, post("wait=2", chargeBody("T_charge_w", b.authCode(t, sandbox.BehaviourPay))), http.StatusBadRequest, "INVALID_PARAMETER", "wait")
	wantError(t, post("", []byte(`{"out_trade_no":"T_charge_u","total_amount":"1.00","subject":"s","auth_code":"281234567890123456","tip":"1"}`)),
		http.StatusBadRequest, "INVALID_PARAMETER", "")
	if _, err := b.store.GetOrder(context.Background(), "T_charge_bad"); err == nil {
		t.Error("a refused charge request left an order")
	}
}

// TestChargeOutlivesWriteTimeout: a held charge answers after the server's WriteTimeout
// (75 s in serve, below the longest charge): the handler extends its own write deadline.
func TestChargeOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) { o.writeTimeout = 2 * time.Second })
	code := b.authCode(t, sandbox.BehaviourPassword)
	go func() {
		time.Sleep(4 * time.Second) // the buyer confirms well after the server's write timeout
		_, _ = b.sb.ConfirmAuthCode(code, sandbox.OutcomeSuccess)
	}()
	start := time.Now()
	p, err := b.client.Charge(context.Background(), client.ChargeRequest{OutTradeNo: "T_charge_slow", TotalAmount: "9.90",
		Subject: "till", AuthCode: code, TimeoutSeconds: 30}, client.ChargeOptions{})
	if err != nil || p.Status != client.StatusPaid {
		t.Fatalf("after %s: %+v, %v; want paid", time.Since(start), p, err)
	}
	if held := time.Since(start); held < 4*time.Second {
		t.Fatalf("answered after %s, before the buyer confirmed", held)
	}
}
