package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// These examples run against a real gateway in this process (main_test.go): gatewayURL,
// appID, secret and webhookSecret are what `f2fpay client create` prints for yours;
// newOrderNo stands for your own order numbering, and buyerPays for a buyer paying in the
// Alipay app.

// Create an order and show its QR; the same request again is answered with the same order.
func ExampleClient_Create() {
	c := client.New(gatewayURL, appID, secret)
	ctx := context.Background()
	req := client.CreateRequest{OutTradeNo: newOrderNo(), TotalAmount: "9.90", Subject: "Cola 330ml"}

	p, created, err := c.Create(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	// Draw p.QRCode as a QR code, or send the buyer to p.CashierURL.
	fmt.Println(created, p.Status, p.TotalAmount, p.QRCode != "", p.CashierURL != "")

	// A retry after a timeout is safe: same out_trade_no, same parameters, same order.
	again, created, err := c.Create(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(created, again.QRCode == p.QRCode)
	// Output:
	// true pending 9.90 true true
	// false true
}

// Wait for the buyer to pay: each Query with Wait holds the answer until the order leaves
// pending or Wait passes, so a device needs no polling loop of its own.
func ExampleClient_Query() {
	c := client.New(gatewayURL, appID, secret)
	ctx := context.Background()
	p, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: newOrderNo(), TotalAmount: "3.50", Subject: "Coffee"})
	if err != nil {
		log.Fatal(err)
	}
	buyerPays(p.OutTradeNo)

	for p.Status == client.StatusPending && time.Now().Before(p.ExpiresAt) {
		if p, err = c.Query(ctx, p.OutTradeNo, client.QueryOptions{Wait: 30 * time.Second}); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(p.Status, p.TotalAmount, p.TradeNo != "", p.PaidAt != nil)
	// Output: paid 3.50 true true
}

// Refund part of a paid order; the order stays paid with a refunded amount.
func ExampleClient_Refund() {
	c := client.New(gatewayURL, appID, secret)
	ctx := context.Background()
	p, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: newOrderNo(), TotalAmount: "10.00", Subject: "Charging 1 h"})
	if err != nil {
		log.Fatal(err)
	}
	buyerPays(p.OutTradeNo)
	for p.Status == client.StatusPending {
		if p, err = c.Query(ctx, p.OutTradeNo, client.QueryOptions{Wait: 30 * time.Second}); err != nil {
			log.Fatal(err)
		}
	}

	r, err := c.Refund(ctx, client.RefundRequest{OutTradeNo: p.OutTradeNo, RefundNo: p.OutTradeNo + "_R1",
		RefundAmount: "2.50", Reason: "charged 45 min"})
	if err != nil {
		log.Fatal(err)
	}
	p, err = c.Query(ctx, p.OutTradeNo, client.QueryOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Status, r.RefundAmount, p.Status, p.RefundedAmount)
	// Output: succeeded 2.50 paid 2.50
}

// A request the gateway refuses is an *Error; ErrorCode tells which.
func ExampleErrorCode() {
	c := client.New(gatewayURL, appID, secret)
	ctx := context.Background()
	no := newOrderNo()
	if _, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: "5.00", Subject: "Tea"}); err != nil {
		log.Fatal(err)
	}
	// The same out_trade_no with another amount is a conflict, not a second order.
	_, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: "6.00", Subject: "Tea"})
	fmt.Println(client.ErrorCode(err), err.(*client.Error).Status, err.(*client.Error).Temporary())
	// Output: CONFLICT 409 false
}

// Receive the webhook of a payment: verify it with the webhook secret (whsec_…, not the
// API secret) over the exact body, which also refuses a timestamp more than 5 minutes
// away, then act on the event (deduplicated by its id in a real receiver).
func ExampleVerifyWebhook() {
	got := make(chan string, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = client.VerifyWebhook(webhookSecret, r.Header.Get("X-F2FPay-Timestamp"),
				r.Header.Get("X-F2FPay-Signature"), body)
		}
		if err != nil { // ErrWebhookSignature (forged, or the wrong secret) or ErrWebhookTimestamp (a replay)
			got <- err.Error()
			http.Error(w, "bad webhook", http.StatusUnauthorized)
			return
		}
		var ev client.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			got <- "bad body"
			return
		}
		p, err := ev.Payment()
		if err != nil {
			got <- "bad payment"
			return
		}
		// Fulfil once per ev.ID (r.Header.Get("X-F2FPay-Event-Id")), then acknowledge.
		got <- fmt.Sprintln(ev.Type, p.Status, p.TotalAmount, ev.ID == r.Header.Get("X-F2FPay-Event-Id"))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	c := client.New(gatewayURL, appID, secret)
	p, _, err := c.Create(context.Background(), client.CreateRequest{OutTradeNo: newOrderNo(), TotalAmount: "12.50",
		Subject: "Locker 4 h", NotifyURL: receiver.URL + "/f2fpay/webhook"})
	if err != nil {
		log.Fatal(err)
	}
	buyerPays(p.OutTradeNo)
	select {
	case s := <-got:
		fmt.Print(s)
	case <-time.After(2 * time.Minute):
		fmt.Println("no webhook within 2 minutes")
	}
	// Output: payment.succeeded paid 12.50 true
}
