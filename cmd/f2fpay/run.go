package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/f2fpay/f2fpay/internal/tracing"
)

const usage = `f2fpay — Alipay Face-to-Face payment gateway

Usage:
  f2fpay demo    [--listen 127.0.0.1:8080] [--data-dir ./f2fpay-data] [--database DSN] [--redis URL] [--nats URL] [--workers=false]
  f2fpay serve   [--config f2fpay.yaml] [--database sqlite:PATH|postgres://…] [--redis URL] [--nats URL]
  f2fpay sandbox [--listen 127.0.0.1:9090] [--data-dir DIR] [--time-scale N] [--strict-timestamp] [--app APP_ID=PUBLIC_KEY_FILE]
  f2fpay keys gen --out DIR
  f2fpay client create --name N [--notify-url U] [--config F | --data-dir D]
  f2fpay client list   [--config F | --data-dir D]
  f2fpay client rotate --app-id A [--grace 24h] [--config F | --data-dir D]
  f2fpay client disable|enable --app-id A [--config F | --data-dir D]
  f2fpay pay     --amount 9.90 --subject S [--demo ./f2fpay-data/demo.json]
  f2fpay charge  --amount 9.90 --subject S --auth-code CODE [--demo ./f2fpay-data/demo.json] [--timeout-seconds 60]
  f2fpay migrate [--config F | --database DSN | --data-dir D]
  f2fpay reconcile --date YYYY-MM-DD [--bill FILE.zip] [--json] [--config F | --database DSN | --data-dir D]
  f2fpay doctor  [--config f2fpay.yaml | --data-dir D]
  f2fpay version
`

// run is the whole program; main only adds signals and the exit code, so tests run it as is.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"demo": runDemo, "serve": runServe, "sandbox": runSandbox, "keys": runKeys,
		"client": runClient, "pay": runPay, "migrate": runMigrate, "version": runVersion,
		"reconcile": runReconcile, "doctor": runDoctor, "charge": runCharge,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "f2fpay: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

// fail prints an error for the user and returns exit status 1.
func fail(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "f2fpay: "+format+"\n", args...)
	return 1
}

// newLogger builds the process logger: JSON for serve (unless log_format says text), text
// for the interactive commands; a line logged under a span carries its trace_id and span_id,
// and OpenTelemetry's own errors (an unreachable collector) are logged through it.
func newLogger(w io.Writer, format string) *slog.Logger {
	var h slog.Handler = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})
	if format == "text" {
		h = slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})
	}
	log := slog.New(tracing.LogHandler(h))
	tracing.LogErrors(log)
	return log
}
