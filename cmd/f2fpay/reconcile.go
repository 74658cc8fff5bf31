package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/app/backend"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// Exit statuses of f2fpay reconcile (docs/decisions.md, "Reconciliation"): the books
// agree, a discrepancy was found, or the reconciliation could not be done.
const (
	reconcileAgree     = 0
	reconcileDiffer    = 1
	reconcileCannotRun = 2
)

// runReconcile is `f2fpay reconcile --date YYYY-MM-DD [--bill FILE.zip] [--json]`: it
// reconciles the day against Alipay's bill, downloaded or read from a file, with the
// configuration of serve (--config, F2FPAY_*) or a demo's --data-dir.
func runReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	date := fs.String("date", "", "the day to reconcile, YYYY-MM-DD in Beijing time (required)")
	billFile := fs.String("bill", "", "a bill zip downloaded by hand from Alipay's portal (default: download it)")
	asJSON := fs.Bool("json", false, "print the run as JSON")
	sf := addStoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return reconcileCannotRun
	}
	cannot := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "f2fpay reconcile: "+format+"\n", a...)
		return reconcileCannotRun
	}
	day, err := payment.ParseBillDay(*date)
	if err != nil {
		return cannot("--date is required, as YYYY-MM-DD")
	}
	svc, closeAll, err := reconcileService(ctx, sf, stderr)
	if err != nil {
		return cannot("%v", err)
	}
	defer closeAll()
	in := payment.ReconcileInput{Day: day, Trigger: payment.TriggerCLI}
	if *billFile != "" {
		if in.Bill, err = readBill(svc, *billFile); err != nil {
			return cannot("%v", err)
		}
	}
	run, err := svc.ReconcileDay(ctx, in)
	if errors.Is(err, payment.ErrBillNotReady) {
		return cannot("Alipay has no bill for %s yet (it publishes a day's bill the next morning, Beijing time); "+
			"try again later, or give --bill with a bill downloaded from Alipay's portal", day)
	}
	if err != nil {
		return cannot("%s", payment.ErrorMessage(err))
	}
	items, err := svc.RunDiscrepancies(ctx, run)
	if err != nil {
		return cannot("%v", err)
	}
	if *asJSON {
		printReconcileJSON(stdout, run, items)
	} else {
		printReconcile(stdout, run, items)
	}
	if run.Found > 0 {
		return reconcileDiffer
	}
	return reconcileAgree
}

// readBill reads and parses a bill zip saved from Alipay's portal.
func readBill(svc *payment.Service, path string) (*payment.Bill, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, alipay.MaxBillZip+1))
	if err != nil {
		return nil, err
	}
	if len(data) > alipay.MaxBillZip {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, alipay.MaxBillZip)
	}
	b, err := svc.ParseBill(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, payment.ErrorMessage(err))
	}
	return b, nil
}

// reconcileService opens the database and builds the Alipay channel and the service as
// serve does (internal/app/backend), from serve's configuration or a demo's data dir.
func reconcileService(ctx context.Context, sf storeFlags, stderr io.Writer) (*payment.Service, func(), error) {
	cfg, err := reconcileConfig(ctx, sf)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Alipay.AppID == "" {
		return nil, nil, errors.New("no Alipay app: give --config (or F2FPAY_* settings) as serve takes, or --data-dir of a running demo")
	}
	// The command prints its result and why it could not run; the service's log adds only
	// its errors.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	st, err := backend.OpenStore(ctx, cfg.Database, cfg.DatabasePool)
	if err != nil {
		return nil, nil, err
	}
	b, err := backend.New(st, backend.Options{Alipay: cfg.Alipay, MasterKey: cfg.MasterKey, Logger: log,
		Payment: payment.Config{PublicURL: strings.TrimRight(cfg.PublicURL, "/"), ConfirmWithQuery: cfg.ConfirmWithQuery(),
			LatePayment: cfg.LatePayment}})
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	return b.Service, func() { _ = st.Close() }, nil
}

// reconcileConfig is serve's configuration, or, with --data-dir (or ./f2fpay-data when
// nothing else is given), a running demo's: its database and master key, its app key, and
// the Alipay key and gateway of the sandbox it embeds.
func reconcileConfig(ctx context.Context, sf storeFlags) (*config.Config, error) {
	cfg, err := config.Load(*sf.config, os.Getenv)
	if err != nil {
		return nil, err
	}
	if *sf.database != "" {
		cfg.Database = *sf.database
	}
	dir := *sf.dataDir
	if dir == "" && *sf.config == "" && cfg.Database == "" {
		if _, err := os.Stat(filepath.Join(config.DefaultDataDir, "demo.json")); err == nil {
			dir = config.DefaultDataDir
		}
	}
	if dir == "" {
		return cfg, nil
	}
	st := loadDemoState(dir)
	key, err := os.ReadFile(filepath.Join(dir, "keys", appPrivateFile))
	if err != nil || st.BaseURL == "" {
		return nil, fmt.Errorf("%s is not a demo's data dir (no demo.json or app key)", dir)
	}
	pub, err := demoAlipayKey(ctx, st.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	if err := cfg.UseDataDir(); err != nil {
		return nil, err
	}
	cfg.PublicURL = st.BaseURL
	cfg.Alipay = config.AlipayConfig{AppID: st.AlipayAppID, PrivateKey: string(key), AlipayPublicKey: pub,
		Gateway: st.BaseURL + "/sandbox/gateway.do"}
	return cfg, nil
}

// demoAlipayKey asks the running demo's sandbox for its Alipay public key.
func demoAlipayKey(ctx context.Context, base string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sandbox/api/alipay-public-key", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("the demo at %s does not answer (is it running?): %v", base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the demo's sandbox key: HTTP %d", resp.StatusCode)
	}
	return string(b), nil
}

// printReconcileJSON writes the run, its totals and its discrepancies.
func printReconcileJSON(w io.Writer, run *payment.ReconRun, items []*payment.Discrepancy) {
	v := payment.ReconciliationView(run)
	v.Items = []payment.DiscrepancyShown{}
	for _, d := range items {
		v.Items = append(v.Items, payment.DiscrepancyView(d))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// printReconcile writes the run for people: the day's totals side by side, then what the
// run found.
func printReconcile(w io.Writer, run *payment.ReconRun, items []*payment.Discrepancy) {
	t := run.Totals
	fmt.Fprintf(w, "reconciliation of %s: run #%d, bill from %s\n", run.Day, run.ID, run.Source)
	if run.Note != "" {
		fmt.Fprintf(w, "note: %s\n", run.Note)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "\tbooks\tAlipay bill")
	fmt.Fprintf(tw, "payments\t%d · %s\t%d · %s\n", t.Books.TradeCount, t.Books.TradeAmount, t.Bill.TradeCount, t.Bill.TradeAmount)
	fmt.Fprintf(tw, "refunds\t%d · %s\t%d · %s\n", t.Books.RefundCount, t.Books.RefundAmount, t.Bill.RefundCount, t.Bill.RefundAmount)
	fmt.Fprintf(tw, "fees\t\t%s\n", t.Bill.Fee)
	if s := t.Summary; s != nil {
		fmt.Fprintf(tw, "summary file\t\t%d payments · %d refunds · net %s · fee %s\n", s.TradeCount, s.RefundCount, s.Amount, s.Fee)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "discrepancies: %d found, %d resolved, %d open\n", run.Found, run.Resolved, run.Open)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, d := range items {
		ref := d.OutTradeNo
		if d.RefundNo != "" {
			ref += "/" + d.RefundNo
		}
		if ref == "" {
			ref = d.Ref
		}
		fmt.Fprintf(tw, "  #%d\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, ref, d.State, d.Detail)
	}
	_ = tw.Flush()
	if run.Found == 0 {
		fmt.Fprintln(w, "the books agree with Alipay's bill")
	}
}
