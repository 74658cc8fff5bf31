package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// runCharge takes a barcode payment through the merchant API as a till does: it sends the
// buyer's payment code (--auth-code, as a scanner reads it), waits while the buyer
// confirms, and prints the outcome as the till's screen would. Exit 0 only when paid.
func runCharge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("charge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	amount := fs.String("amount", "", "amount in yuan, e.g. 9.90")
	subject := fs.String("subject", "", "what is sold")
	authCode := fs.String("auth-code", "", "the buyer's payment code (16-24 digits, as the scanner reads it)")
	demoFile := fs.String("demo", "./f2fpay-data/demo.json", "demo.json with base_url, app_id and secret")
	baseURL := fs.String("base-url", "", "gateway base URL (overrides --demo)")
	appID := fs.String("app-id", "", "merchant app id (overrides --demo)")
	secretEnv := fs.String("secret-env", "F2FPAY_CLIENT_SECRET", "environment variable holding the secret when --app-id is given")
	outTradeNo := fs.String("out-trade-no", "", "order number (default: a new one); repeat a charge whose answer was lost with the same number")
	timeout := fs.Int("timeout-seconds", 0, "how long to wait for the buyer before cancelling, 10-120 (default: the gateway's 60)")
	storeID := fs.String("store-id", "", "store id passed to Alipay")
	terminalID := fs.String("terminal-id", "", "terminal id passed to Alipay")
	operatorID := fs.String("operator-id", "", "operator id passed to Alipay")
	asJSON := fs.Bool("json", false, "print the final order as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	code := strings.TrimSpace(*authCode) // a scanner may end the code with a newline
	if *amount == "" || *subject == "" || code == "" {
		return fail(stderr, "charge: --amount, --subject and --auth-code are required")
	}
	base, app, secret := *baseURL, *appID, os.Getenv(*secretEnv)
	if app == "" {
		b, err := os.ReadFile(*demoFile)
		if err != nil {
			return fail(stderr, "charge: %v (start `f2fpay demo` first, or give --base-url and --app-id)", err)
		}
		var st demoState
		if err := json.Unmarshal(b, &st); err != nil {
			return fail(stderr, "charge: %s: %v", *demoFile, err)
		}
		app, secret = st.AppID, st.Secret
		if base == "" {
			base = st.BaseURL
		}
	}
	no := *outTradeNo
	if no == "" {
		suffix := make([]byte, 4)
		_, _ = rand.Read(suffix)
		no = fmt.Sprintf("charge_%s_%x", time.Now().UTC().Format("20060102150405"), suffix)
	}
	req := client.ChargeRequest{OutTradeNo: no, TotalAmount: *amount, Subject: *subject, AuthCode: code,
		TimeoutSeconds: *timeout, StoreID: *storeID, TerminalID: *terminalID, OperatorID: *operatorID}
	fmt.Fprintf(stderr, "charging ¥%s  %s  (order %s)…\n", *amount, *subject, no)
	p, err := client.New(base, app, secret).Charge(ctx, req, client.ChargeOptions{})
	var e *client.Error
	switch {
	case errors.As(err, &e) && e.Code == client.CodePaymentFailed:
		fmt.Fprintf(stdout, "DECLINED  ¥%s  %s\n  %s (%s)\n  order %s: charge again with a fresh payment code\n",
			*amount, *subject, e.AlipaySubMsg, e.AlipaySubCode, no)
		return 1
	case err != nil:
		fmt.Fprintf(stdout, "NOT CHARGED  ¥%s  %s\n  %v\n  repeating the same command with --out-trade-no %s is safe: it never charges twice\n",
			*amount, *subject, err, no)
		return 1
	}
	if *asJSON {
		b, _ := json.MarshalIndent(p, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		printTill(stdout, p)
	}
	if p.Status == client.StatusPaid {
		return 0
	}
	return 1
}

// printTill writes the outcome as a till's screen shows it.
func printTill(w io.Writer, p *client.Payment) {
	switch p.Status {
	case client.StatusPaid:
		fmt.Fprintf(w, "PAID  ¥%s  %s\n  Alipay trade %s\n", p.TotalAmount, p.Subject, p.TradeNo)
		if p.BuyerLogonID != "" {
			fmt.Fprintf(w, "  buyer %s\n", p.BuyerLogonID)
		}
	case client.StatusClosed:
		fmt.Fprintf(w, "NOT PAID  ¥%s  %s\n  the buyer did not confirm in time; the payment was cancelled\n", p.TotalAmount, p.Subject)
	case client.StatusRefunded:
		fmt.Fprintf(w, "NOT PAID  ¥%s  %s\n  the buyer confirmed too late; the payment was cancelled and refunded in full\n", p.TotalAmount, p.Subject)
	default:
		fmt.Fprintf(w, "UNKNOWN  ¥%s  %s\n  the gateway is still settling the payment; do not hand over the goods yet\n", p.TotalAmount, p.Subject)
	}
	fmt.Fprintf(w, "  order %s\n", p.OutTradeNo)
}
