package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/f2fpay/f2fpay/internal/app"
	"github.com/f2fpay/f2fpay/internal/config"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file (settings also come from F2FPAY_* env)")
	over := addScaleFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*configPath, os.Getenv)
	if err != nil {
		return fail(stderr, "%v", err)
	}
	over.apply(cfg)
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "invalid configuration: %v", err)
	}
	a, err := app.New(ctx, app.Options{Config: *cfg, Logger: newLogger(stderr, cfg.LogFormat),
		ConfigPath: *configPath, Getenv: os.Getenv})
	if err != nil {
		return fail(stderr, "%v", err)
	}
	if err := a.Run(ctx); err != nil {
		return fail(stderr, "%v", err)
	}
	fmt.Fprintln(stdout, "f2fpay stopped")
	return 0
}
