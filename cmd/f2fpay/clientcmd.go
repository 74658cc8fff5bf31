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
		database: fs.String("database", "", "database DSN (sqlite:PATH)"),
		dataDir:  fs.String("data-dir", "", "a demo data dir (its f2fpay.db and master.key)"),
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
		return nil, nil, fmt.Errorf("no database: give --database, --config, --data-dir or F2FPAY_DATABASE")
	}
	st, err := openStore(ctx, cfg.Database)
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
	return st, payment.NewService(st, nil, box, nil, payment.Config{}, nil), nil
}

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, "usage: f2fpay client create|list ...")
	}
	fs := flag.NewFlagSet("client "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs)
	name := fs.String("name", "", "client name (create)")
	notifyURL := fs.String("notify-url", "", "webhook URL (create)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
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
	case "list":
		clients, err := st.ListClients(ctx)
		if err != nil {
			return fail(stderr, "client list: %v", err)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "APP ID\tNAME\tSTATUS\tNOTIFY URL\tCREATED")
		for _, c := range clients {
			status := "enabled"
			if c.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.AppID, c.Name, status, c.NotifyURL, c.CreatedAt.Format(time.RFC3339))
		}
		tw.Flush()
	default:
		return fail(stderr, "client: unknown subcommand %q (create, list)", args[0])
	}
	return 0
}
