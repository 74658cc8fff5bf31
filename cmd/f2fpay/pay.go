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

// payWait is how long one query holds (the merchant API's ?wait); the gateway answers at
// once when the order settles.
const payWait = 25 * time.Second

// runPay creates an order through the merchant API, draws its QR in the terminal and waits
// until the order is paid (exit 0) or closed or expired (exit 1); with --json it prints the
// final order as JSON on stdout.
func runPay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	amount := fs.String("amount", "", "amount in yuan, e.g. 9.90")
	subject := fs.String("subject", "", "order subject")
	demoFile := fs.String("demo", "./f2fpay-data/demo.json", "demo.json with base_url, app_id and secret (its webhook_secret is for a webhook receiver)")
	baseURL := fs.String("base-url", "", "gateway base URL (overrides --demo)")
	appID := fs.String("app-id", "", "merchant app id (overrides --demo)")
	secretEnv := fs.String("secret-env", "F2FPAY_CLIENT_SECRET", "environment variable holding the secret when --app-id is given")
	asJSON := fs.Bool("json", false, "print the final order as JSON")
	timeout := fs.Int("timeout-minutes", 0, "order expiry in minutes (default: the gateway's)")
	invert := fs.Bool("invert", false, "draw the QR for a terminal with a light background")
	channel := fs.String("channel", "alipay", "alipay or wechat (WeChat Pay Native)")
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
	no := fmt.Sprintf("pay_%s_%x", time.Now().UTC().Format("20060102150405"), suffix)
	p, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: *amount, Subject: *subject, TimeoutMinutes: *timeout, Channel: *channel})
	if err != nil {
		return fail(stderr, "pay: %v", err)
	}
	fmt.Fprintf(stderr, "order %s  ¥%s  %s\n\n", p.OutTradeNo, p.TotalAmount, p.Subject)
	if err := renderQR(stderr, p.QRCode, *invert); err != nil {
		return fail(stderr, "pay: draw QR: %v", err)
	}
	wallet := "Alipay"
	if p.Channel == "wechat" {
		wallet = "WeChat"
	}
	fmt.Fprintf(stderr, "\nscan with %s, or open %s\n", wallet, p.CashierURL)
	p, err = waitPaid(ctx, c, p, stderr)
	if err != nil {
		return fail(stderr, "pay: %v", err)
	}
	if *asJSON {
		b, _ := json.MarshalIndent(p, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintf(stdout, "%s: %s (trade_no %s)\n", p.OutTradeNo, p.Status, p.TradeNo)
	}
	if p.Status == client.StatusPaid {
		return 0
	}
	return 1
}

type queryResult struct {
	p   *client.Payment
	err error
}

// waitPaid holds queries on the order until it leaves pending, showing a spinner with the
// time left on a terminal. An order still pending a minute past its expiry (no reconciler
// running) is reported as closed.
func waitPaid(ctx context.Context, c *client.Client, p *client.Payment, stderr io.Writer) (*client.Payment, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan queryResult)
	go pollOrder(ctx, c, p.OutTradeNo, results)
	tty := isTerminal(stderr)
	if !tty {
		fmt.Fprintln(stderr, "waiting for the buyer…")
	}
	spin := time.NewTicker(100 * time.Millisecond)
	defer spin.Stop()
	frames := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
	var lastErr error
	for i := 0; p.Status == client.StatusPending; i++ {
		select {
		case r := <-results:
			if lastErr = r.err; r.err == nil {
				p = r.p
			}
		case <-spin.C:
			left := time.Until(p.ExpiresAt)
			if left < -time.Minute {
				p.Status = client.StatusClosed // expired; the gateway will close it
				break
			}
			if tty {
				note := ""
				if lastErr != nil {
					note = " (retrying: " + lastErr.Error() + ")"
				}
				fmt.Fprintf(stderr, "\r\x1b[K%c waiting for payment · %s left%s", frames[i%len(frames)], clock(left), note)
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("interrupted")
		}
	}
	if tty {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	return p, nil
}

// pollOrder sends every answer of a held query until the order settles or ctx ends.
func pollOrder(ctx context.Context, c *client.Client, no string, out chan<- queryResult) {
	for {
		p, err := c.Query(ctx, no, client.QueryOptions{Wait: payWait})
		select {
		case out <- queryResult{p, err}:
		case <-ctx.Done():
			return
		}
		pause := 200 * time.Millisecond // the gateway may answer a wait early; pace anyway
		if err != nil {
			pause = time.Second
		} else if p.Status != client.StatusPending {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// clock formats a duration as m:ss (0:00 when past).
func clock(d time.Duration) string {
	s := max(0, int(d.Round(time.Second)/time.Second))
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// isTerminal reports whether w is a character device (a terminal), where the spinner
// may redraw its line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
