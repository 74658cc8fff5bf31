package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/secretbox"
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

// open resolves the database and master key: flags, then config file and F2FPAY_* env,
// then the data dir's files.
func (f storeFlags) open(ctx context.Context) (payment.Store, *payment.Service, error) {
	cfg, err := LoadConfig(*f.config, os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	if *f.dataDir != "" {
		cfg.DataDir = *f.dataDir
	}
	if *f.database != "" {
		cfg.Database = *f.database
	}
	if cfg.Database == "" && cfg.DataDir == "" {
		// SPEC §1: the default database is sqlite:{data-dir}/f2fpay.db, data dir ./f2fpay-data.
		if _, err := os.Stat(filepath.Join(defaultDataDir, "f2fpay.db")); err == nil {
			cfg.DataDir = defaultDataDir
		}
	}
	if cfg.Database == "" && cfg.DataDir != "" {
		cfg.Database = "sqlite:" + filepath.Join(cfg.DataDir, "f2fpay.db")
	}
	if cfg.MasterKey == "" && cfg.DataDir != "" {
		b, err := os.ReadFile(filepath.Join(cfg.DataDir, "master.key"))
		if err != nil {
			return nil, nil, fmt.Errorf("master key: %v", err)
		}
		cfg.MasterKey = string(b)
	}
	if cfg.Database == "" {
		return nil, nil, fmt.Errorf("no database: give --database, --config, --data-dir or F2FPAY_DATABASE (no %s/f2fpay.db here)", defaultDataDir)
	}
	st, err := openStoreWith(ctx, cfg.Database, cfg.DatabasePool)
	if err != nil {
		return nil, nil, err
	}
	var box payment.SecretBox
	if cfg.MasterKey != "" {
		if box, err = secretbox.New(cfg.MasterKey); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	allow, err := payment.ParseNetworks(cfg.Webhooks.AllowNetworks)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("webhooks.allow_networks: %v", err)
	}
	return st, payment.NewService(st, nil, box, nil, payment.Config{WebhookAllowNetworks: allow}, nil), nil
}

// defaultGrace is how long a rotated secret keeps verifying unless --grace says otherwise:
// a day, enough to roll the new secret out to every device.
const defaultGrace = 24 * time.Hour

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, "usage: f2fpay client create|list|rotate|disable|enable ...")
	}
	fs := flag.NewFlagSet("client "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs)
	name := fs.String("name", "", "client name (create)")
	notifyURL := fs.String("notify-url", "", "webhook URL (create)")
	appID := fs.String("app-id", "", "the client's app id (rotate, disable, enable)")
	grace := fs.Duration("grace", defaultGrace, "how long the old secret keeps verifying after rotate (0 = revoke now)")
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
		c, secret, err := svc.CreateClient(ctx, *name, *notifyURL)
		if err != nil {
			return fail(stderr, "client create: %s", payment.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "app id: %s\nsecret: %s\n(the secret is shown only now; keep it safe)\n", c.AppID, secret)
	case "rotate":
		secret, err := svc.RotateClient(ctx, *appID, *grace)
		if err != nil {
			return fail(stderr, "client rotate: %s", payment.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "app id: %s\nnew secret: %s\n(the secret is shown only now; the old one verifies until %s)\n",
			*appID, secret, time.Now().Add(*grace).UTC().Format(time.RFC3339))
	case "disable", "enable":
		if err := svc.SetClientDisabled(ctx, *appID, args[0] == "disable"); err != nil {
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

// listClients prints every client without its secret: the secret is shown at creation and
// rotation only, and stored sealed.
func listClients(ctx context.Context, st payment.Store, stdout, stderr io.Writer) int {
	clients, err := st.ListClients(ctx)
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
		rate := "default"
		if c.RateLimit > 0 {
			rate = fmt.Sprintf("%g/s burst %d", c.RateLimit, c.RateBurst)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.AppID, c.Name, status, rate, c.NotifyURL, c.CreatedAt.Format(time.RFC3339))
	}
	tw.Flush()
	return 0
}
