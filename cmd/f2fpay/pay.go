package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// runPay creates an order through the merchant API, shows its QR text and waits until the
// order is paid (exit 0) or closed (exit 1).
func runPay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	amount := fs.String("amount", "", "amount in yuan, e.g. 9.90")
	subject := fs.String("subject", "", "order subject")
	demoFile := fs.String("demo", "./f2fpay-data/demo.json", "demo.json with base_url, app_id and secret")
	baseURL := fs.String("base-url", "", "gateway base URL (overrides --demo)")
	appID := fs.String("app-id", "", "merchant app id (overrides --demo)")
	secretEnv := fs.String("secret-env", "F2FPAY_CLIENT_SECRET", "environment variable holding the secret when --app-id is given")
	asJSON := fs.Bool("json", false, "print the final order as JSON")
	timeout := fs.Int("timeout-minutes", 0, "order expiry in minutes (default: the gateway's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *amount == "" || *subject == "" {
		return fail(stderr, "pay: --amount and --subject are required")
	}
	base, app, secret := *baseURL, *appID, os.Getenv(*secretEnv)
	if app == "" {
		b, err := os.ReadFile(*demoFile)
		if err != nil {
			return fail(stderr, "pay: %v (start `f2fpay demo` first, or give --base-url and --app-id)", err)
		}
		var st demoState
		if err := json.Unmarshal(b, &st); err != nil {
			return fail(stderr, "pay: %s: %v", *demoFile, err)
		}
		app, secret = st.AppID, st.Secret
		if base == "" {
			base = st.BaseURL
		}
	}
	c := client.New(base, app, secret)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	no := fmt.Sprintf("pay-%s-%x", time.Now().UTC().Format("20060102150405"), suffix)
	p, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: *amount, Subject: *subject, TimeoutMinutes: *timeout})
	if err != nil {
		return fail(stderr, "pay: %v", err)
	}
	fmt.Fprintf(stderr, "order %s  %s yuan  %s\nQR text:     %s\ncashier URL: %s\nwaiting for the buyer…\n",
		p.OutTradeNo, p.TotalAmount, p.Subject, p.QRCode, p.CashierURL)
	for p.Status == "pending" {
		next, err := c.Query(ctx, no, client.QueryOptions{Wait: 25 * time.Second})
		if err != nil {
			if ctx.Err() != nil {
				return fail(stderr, "pay: interrupted")
			}
			fmt.Fprintf(stderr, "query failed (%v); retrying\n", err)
			select {
			case <-ctx.Done():
				return fail(stderr, "pay: interrupted")
			case <-time.After(time.Second):
			}
			continue
		}
		p = next
		if p.Status == "pending" {
			// The gateway may answer a wait early; pace the loop anyway.
			select {
			case <-ctx.Done():
				return fail(stderr, "pay: interrupted")
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(p, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintf(stdout, "%s: %s (trade_no %s)\n", p.OutTradeNo, p.Status, p.TradeNo)
	}
	if p.Status == "paid" {
		return 0
	}
	return 1
}
