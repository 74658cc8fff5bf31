package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// EventReconciliationCompleted reports a completed reconciliation run with its counts.
const EventReconciliationCompleted = "reconciliation.completed"

// NoBillAfter is how long after a day's end a missing bill stops being "not ready yet":
// Alipay publishes a day's bill the next morning and answers bill_not_exist, for ever, for
// a day without trades; past this the day is compared with an empty bill.
const NoBillAfter = 24 * time.Hour

// SetBillSource gives the service Alipay's daily bill; without it only bills read by hand
// can be reconciled.
func (s *Service) SetBillSource(b BillSource) { s.bills = b }

// ReconcileInput says which day to reconcile and against which bill.
type ReconcileInput struct {
	Day     BillDay
	Bill    *Bill  // a bill read by hand (ParseBill); nil = download it from Alipay
	Trigger string // TriggerSchedule, TriggerCLI or TriggerConsole
}

// ReconcileDay compares Alipay's trade bill of a day with the books and stores the run and
// its discrepancies (docs/decisions.md, "Reconciliation"): payments and refunds Alipay
// confirms are recorded with their usual events, the rest stay open for an operator.
// Running a day again finds the same discrepancies, never duplicates. A completed run
// writes reconciliation.completed for every enabled client, unless it found nothing at
// all on either side (quiet). A run that could not get the
// bill is stored too (not_ready or failed) and returned with the error. Errors:
// INVALID_PARAMETER (a day not yet begun, a bill of another day or account),
// ErrBillNotReady, UNPROCESSABLE (no bill source), UPSTREAM_*, a database error.
func (s *Service) ReconcileDay(ctx context.Context, in ReconcileInput) (*ReconRun, error) {
	if _, err := ParseBillDay(string(in.Day)); err != nil {
		return nil, err
	}
	run := &ReconRun{Day: in.Day, Trigger: in.Trigger, Source: SourceFile, StartedAt: s.now()}
	if !in.Day.Start().Before(run.StartedAt) {
		return nil, Errorf(CodeInvalidParameter, "%s has not begun yet in Beijing time", in.Day)
	}
	b := in.Bill
	if b == nil {
		run.Source = SourceAlipay
		var err error
		if b, err = s.downloadBill(ctx, in.Day); err != nil {
			if !errors.Is(err, ErrBillNotReady) || run.StartedAt.Before(in.Day.End().Add(NoBillAfter)) {
				return s.recordFailedRun(ctx, run, err)
			}
			// Alipay makes no bill for a day without trades: that late, none will come.
			b = &Bill{Day: in.Day}
			run.Note = fmt.Sprintf("Alipay has no bill for %s (no trades that day?); compared with an empty bill", in.Day)
		}
	}
	if err := s.checkBill(in.Day, b); err != nil {
		return nil, err
	}
	c := &comparison{s: s, day: in.Day, bill: b}
	if err := c.run(ctx); err != nil {
		return nil, err
	}
	run.Status, run.FinishedAt = RunCompleted, s.now()
	run.Totals = ReconTotals{Books: c.books, Bill: b.Totals(), Summary: b.Summary}
	if err := s.recordRun(ctx, run, c); err != nil {
		return nil, err
	}
	s.log.Info("reconciliation completed", slog.String("date", string(run.Day)), slog.Int64("run_id", run.ID),
		slog.Int("found", run.Found), slog.Int("resolved", run.Resolved), slog.Int("open", run.Open))
	return run, nil
}

func (s *Service) downloadBill(ctx context.Context, day BillDay) (*Bill, error) {
	if s.bills == nil {
		return nil, Errorf(CodeUnprocessable, "no Alipay bill source is configured; give a bill downloaded by hand")
	}
	return s.bills.DownloadBill(ctx, day)
}

// ParseBill reads a bill zip downloaded by hand. Errors: INVALID_PARAMETER, UNPROCESSABLE
// (no bill source to parse with).
func (s *Service) ParseBill(zip []byte) (*Bill, error) {
	if s.bills == nil {
		return nil, Errorf(CodeUnprocessable, "no Alipay bill reader is configured")
	}
	return s.bills.ParseBill(zip)
}

// checkBill refuses a bill of another day, or of another Alipay account than the
// configured seller (its 账号 is the partner id followed by 0156).
func (s *Service) checkBill(day BillDay, b *Bill) error {
	if b.Day != "" && b.Day != day {
		return Errorf(CodeInvalidParameter, "the bill is for %s, not %s", b.Day, day)
	}
	if seller := s.sellerID(); seller != "" && b.Account != "" && b.Account[:min(len(b.Account), len(seller))] != seller {
		return Errorf(CodeInvalidParameter, "the bill is of Alipay account %s, not of seller %s", truncate(b.Account, 32), seller)
	}
	return nil
}

func (s *Service) sellerID() string {
	if s.channel == nil {
		return ""
	}
	return s.channel.SellerID()
}

// recordFailedRun stores a run that got no bill, so that the console shows the attempt,
// and returns it with cause.
func (s *Service) recordFailedRun(ctx context.Context, run *ReconRun, cause error) (*ReconRun, error) {
	run.Status, run.FinishedAt, run.Note = RunFailed, s.now(), ErrorMessage(cause)
	if errors.Is(cause, ErrBillNotReady) {
		run.Status = RunNotReady
	}
	if err := s.storeFailedRun(ctx, run); err != nil {
		return nil, errors.Join(cause, err)
	}
	s.log.Warn("reconciliation found no bill", slog.String("date", string(run.Day)),
		slog.String("status", string(run.Status)), slog.String("note", run.Note))
	return run, cause
}

// storeFailedRun stores run, or, when the day's last run is the same failure from the same
// trigger and source (the daily job retrying a bill not ready yet), updates that one with
// the new time, so that retries do not fill the console.
func (s *Service) storeFailedRun(ctx context.Context, run *ReconRun) error {
	last, err := s.store.LastReconRun(ctx, run.Day)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err == nil && last.Status == run.Status && last.Trigger == run.Trigger && last.Source == run.Source {
		run.ID, run.StartedAt = last.ID, last.StartedAt
		return s.store.UpdateReconRun(ctx, run)
	}
	return s.store.InsertReconRun(ctx, run)
}

// recordRun stores a completed run, its discrepancies and its events in one transaction.
func (s *Service) recordRun(ctx context.Context, run *ReconRun, c *comparison) error {
	return s.tx(ctx, func(q Queries) error {
		run.ID, run.Found, run.Resolved = 0, len(c.findings), 0
		if err := q.InsertReconRun(ctx, run); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, f := range c.findings {
			seen[string(f.kind)+"\x00"+f.ref] = true
			resolved, err := s.upsertFinding(ctx, q, run, f)
			if err != nil {
				return err
			}
			run.Resolved += resolved
		}
		n, err := s.resolveGone(ctx, q, run, seen, c.appeared)
		if err != nil {
			return err
		}
		run.Resolved += n
		open, err := q.ListDiscrepancies(ctx, DiscrepancyFilter{Day: run.Day, State: DiscrepancyOpen, Limit: maxOpenCount})
		if err != nil {
			return err
		}
		run.Open = len(open)
		if err := q.UpdateReconRun(ctx, run); err != nil {
			return err
		}
		if run.quiet() {
			return nil
		}
		return s.reconEvents(ctx, q, run)
	})
}

// maxOpenCount bounds the open discrepancies a run counts for its day.
const maxOpenCount = 100000

// quiet reports a run with nothing to say: no trade or refund in the books or the bill, no
// discrepancy found, resolved or open. It is kept like any run, but sends no
// reconciliation.completed: a day before the first order (a fresh install, a quiet shop)
// would otherwise reach every webhook as noise.
func (r *ReconRun) quiet() bool {
	empty := func(t BillTotals) bool { return t.TradeCount == 0 && t.RefundCount == 0 }
	return empty(r.Totals.Books) && empty(r.Totals.Bill) && r.Found == 0 && r.Resolved == 0 && r.Open == 0
}

// reconEvents writes reconciliation.completed for every enabled client: each sees it in
// its events API and its webhook, and NATS once per client (docs/decisions.md).
func (s *Service) reconEvents(ctx context.Context, q Queries, run *ReconRun) error {
	clients, err := q.ListMerchants(ctx)
	if err != nil {
		return err
	}
	view := ReconciliationView(run)
	for _, cl := range clients {
		if cl.Disabled {
			continue
		}
		key := fmt.Sprintf("%s:%d:%s", EventReconciliationCompleted, run.ID, cl.AppID)
		ev, err := s.newEvent(EventReconciliationCompleted, key, cl.AppID, "", view)
		if err != nil {
			return err
		}
		if err := q.InsertEvent(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}
