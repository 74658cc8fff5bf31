package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// buyerPaymentCode is the code a till's barcode scanner reads from the buyer's Alipay app:
// here a fresh one from the simulator (behaviour pay, or insufficient_balance).
func buyerPaymentCode(behaviour string) string {
	c, err := gw.sb.NewAuthCode(behaviour, "")
	if err != nil {
		panic("sandbox auth code: " + err.Error())
	}
	return c.AuthCode
}

// Take a barcode payment at a till: the answer comes when the charge has settled, and
// Alipay's refusals come back as PAYMENT_FAILED with Alipay's reason.
func ExampleClient_Charge() {
	c := client.New(gatewayURL, appID, secret)
	ctx := context.Background()
	req := client.ChargeRequest{OutTradeNo: newOrderNo(), TotalAmount: "9.90", Subject: "Cola 330ml",
		AuthCode: buyerPaymentCode(sandbox.BehaviourPay)}
	p, err := c.Charge(ctx, req, client.ChargeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Kind, p.Status, p.TotalAmount, p.TradeNo != "")

	// A repeat after a lost answer is safe: the same order, no second charge.
	again, err := c.Charge(ctx, req, client.ChargeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.Status, again.TradeNo == p.TradeNo)

	_, err = c.Charge(ctx, client.ChargeRequest{OutTradeNo: newOrderNo(), TotalAmount: "9.90", Subject: "Cola 330ml",
		AuthCode: buyerPaymentCode(sandbox.BehaviourInsufficientBalance)}, client.ChargeOptions{})
	var e *client.Error
	if errors.As(err, &e) && e.Code == client.CodePaymentFailed {
		fmt.Println(e.Status, e.AlipaySubCode)
	}
	// Output:
	// barcode paid 9.90 true
	// paid true
	// 402 ACQ.BUYER_BALANCE_NOT_ENOUGH
}
