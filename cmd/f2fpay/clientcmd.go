package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/f2fpay/f2fpay/internal/app"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// storeFlags are the ways a management command finds the database and the master key.
type storeFlags struct{ config, database, dataDir *string }

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		config:   fs.String("config", "", "YAML configuration file"),
		database: fs.String("database", "", "database DSN (sqlite:PATH or postgres://…)"),
		dataDir:  fs.String("data-dir", "", "a demo data dir (its f2fpay.db and master.key); default ./f2fpay-data when it exists"),
	}
}

// open resolves the database and master key (flags, then config file and F2FPAY_* env,
// then the data dir's files) and opens them.
func (f storeFlags) open(ctx context.Context) (payment.Store, *payment.Service, error) {
	cfg, err := config.Load(*f.config, os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	if *f.dataDir != "" {
		cfg.DataDir = *f.dataDir
	}
	if *f.database != "" {
		cfg.Database = *f.database
	}
	if err := cfg.UseDataDir(); err != nil {
		return nil, nil, err
	}
	return app.Manage(ctx, cfg)
}

// defaultGrace is how long a rotated secret keeps verifying unless --grace says otherwise:
// a day, enough to roll the new secret out to every device.
const defaultGrace = 24 * time.Hour

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, "usage: f2fpay client create|list|rotate [--webhook]|disable|enable ...")
	}
	fs := flag.NewFlagSet("client "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs)
	name := fs.String("name", "", "client name (create)")
	notifyURL := fs.String("notify-url", "", "webhook URL (create)")
	appID := fs.String("app-id", "", "the client's app id (rotate, disable, enable)")
	grace := fs.Duration("grace", defaultGrace, "how long the old secret keeps working after rotate (0 = revoke now)")
	webhook := fs.Bool("webhook", false, "rotate the webhook secret (whsec_…) instead of the API secret")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if args[0] == "rotate" || args[0] == "disable" || args[0] == "enable" {
		if *appID == "" {
			return fail(stderr, "client %s: --app-id is required", args[0])
		}
	}
	if *grace < 0 {
		return fail(stderr, "client rotate: --grace must not be negative")
	}
	st, svc, err := sf.open(ctx)
	if err != nil {
		return fail(stderr, "client: %v", err)
	}
	defer st.Close()
	switch args[0] {
	case "create":
		if *name == "" {
			return fail(stderr, "client create: --name is required")
		}
		c, secrets, err := svc.CreateMerchantWithSecrets(ctx, *name, *notifyURL)
		if err != nil {
			return fail(stderr, "client create: %s", payment.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "app id: %s\nsecret: %s\nwebhook secret: %s\n"+
			"(shown only now; keep them safe: the secret signs your API requests, the webhook secret only verifies webhooks)\n",
			c.AppID, secrets.API, secrets.Webhook)
	case "rotate":
		return rotateClient(ctx, svc, *appID, *grace, *webhook, stdout, stderr)
	case "disable", "enable":
		if err := svc.SetMerchantDisabled(ctx, *appID, args[0] == "disable"); err != nil {
			return fail(stderr, "client %s: %s", args[0], payment.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "client %s %sd\n", *appID, args[0])
	case "list":
		return listClients(ctx, st, stdout, stderr)
	default:
		return fail(stderr, "client: unknown subcommand %q (create, list, rotate, disable, enable)", args[0])
	}
	return 0
}

// rotateClient gives the client a new API secret, or with webhook a new webhook secret,
// and prints it once; the old one keeps working for grace.
func rotateClient(ctx context.Context, svc *payment.Service, appID string, grace time.Duration, webhook bool, stdout, stderr io.Writer) int {
	rotate, label, use := svc.RotateMerchant, "secret", "verifies requests"
	if webhook {
		rotate, label, use = svc.RotateWebhookSecret, "webhook secret", "also signs every webhook"
	}
	secret, err := rotate(ctx, appID, grace)
	if err != nil {
		return fail(stderr, "client rotate: %s", payment.ErrorMessage(err))
	}
	until := "the old one is revoked now"
	if grace > 0 {
		until = fmt.Sprintf("the old one %s until %s", use, time.Now().Add(grace).UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "app id: %s\nnew %s: %s\n(shown only now; %s)\n", appID, label, secret, until)
	return 0
}

// listClients prints every client without its secret: the secret is shown at creation and
// rotation only, and stored sealed.
func listClients(ctx context.Context, st payment.Store, stdout, stderr io.Writer) int {
	clients, err := st.ListMerchants(ctx)
	if err != nil {
		return fail(stderr, "client list: %v", err)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP ID\tNAME\tSTATUS\tRATE\tNOTIFY URL\tCREATED")
	for _, c := range clients {
		status := "enabled"
		if c.Disabled {
			status = "disabled"
		} else if c.PrevSecretUntil != nil && time.Now().Before(*c.PrevSecretUntil) {
			status = "rotating until " + c.PrevSecretUntil.UTC().Format(time.RFC3339)
		}
		if c.PrevWebhookSecretUntil != nil && time.Now().Before(*c.PrevWebhookSecretUntil) {
			status += ", webhook secret rotating until " + c.PrevWebhookSecretUntil.UTC().Format(time.RFC3339)
		} else if c.WebhookSecretSealed == "" {
			status += ", no webhook secret yet (rotate --webhook)"
		}
		rate := "default"
		if c.RateLimit > 0 {
			rate = fmt.Sprintf("%g/s burst %d", c.RateLimit, c.RateBurst)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.AppID, c.Name, status, rate, c.NotifyURL, c.CreatedAt.Format(time.RFC3339))
	}
	tw.Flush()
	return 0
}
