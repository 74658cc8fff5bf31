// Command sdk-precreate asks an Alipay gateway for a Face-to-Face QR with the unmodified
// smartwalle/alipay v3 SDK — the same call a merchant's own code makes. Point it at
// `f2fpay sandbox` to try the simulator alone:
//
//	go run ./examples/sdk-precreate --gateway http://127.0.0.1:9090/sandbox/gateway.do \
//	  --app-id 2021000000000001 --private-key keys/app_private_key.pem \
//	  --alipay-public-key alipay_public_key.pem --notify-url http://127.0.0.1:9999/notify \
//	  --out-trade-no demo-1 --amount 9.90
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/smartwalle/alipay/v3"
)

func main() {
	gateway := flag.String("gateway", "http://127.0.0.1:9090/sandbox/gateway.do", "gateway.do URL")
	appID := flag.String("app-id", "", "app id registered with the gateway")
	privPath := flag.String("private-key", "", "app private key PEM file")
	pubPath := flag.String("alipay-public-key", "", "the gateway's public key PEM file")
	notifyURL := flag.String("notify-url", "", "where the gateway should send the notification")
	outTradeNo := flag.String("out-trade-no", fmt.Sprintf("sdk_%d", time.Now().Unix()), "merchant order number")
	amount := flag.String("amount", "9.90", "amount in yuan")
	flag.Parse()
	priv, err1 := os.ReadFile(*privPath)
	pub, err2 := os.ReadFile(*pubPath)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "sdk-precreate: need --private-key and --alipay-public-key files")
		os.Exit(2)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	c, err := alipay.New(*appID, string(priv), false, alipay.WithSandboxGateway(*gateway), alipay.WithTimeLocation(shanghai))
	if err == nil {
		err = c.LoadAliPayPublicKey(string(pub))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk-precreate:", err)
		os.Exit(1)
	}
	p := alipay.TradePreCreate{Trade: alipay.Trade{NotifyURL: *notifyURL, Subject: "SDK test", OutTradeNo: *outTradeNo, TotalAmount: *amount}}
	rsp, err := c.TradePreCreate(context.Background(), p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk-precreate:", err)
		os.Exit(1)
	}
	if rsp.IsFailure() {
		fmt.Fprintf(os.Stderr, "sdk-precreate: %s %s %s %s\n", rsp.Code, rsp.Msg, rsp.SubCode, rsp.SubMsg)
		os.Exit(1)
	}
	fmt.Printf("out_trade_no: %s\nqr_code:      %s\n", rsp.OutTradeNo, rsp.QRCode)
}
