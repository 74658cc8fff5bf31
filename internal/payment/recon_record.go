package payment

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// finding is one discrepancy a run saw; fixed means the run itself recorded what was
// missing (a payment or refund Alipay confirmed), so it is stored resolved.
type finding struct {
	kind       DiscrepancyKind
	ref        string
	outTradeNo string
	refundNo   string
	tradeNo    string
	ours       Amount
	alipay     Amount
	detail     string
	fixed      bool
}

// upsertFinding stores f as the discrepancy (day, kind, ref), new or seen before, and
// returns 1 when this moved it to resolved. Resolved and acknowledged discrepancies stay
// as they are: a re-run never reopens what was settled (docs/decisions.md).
func (s *Service) upsertFinding(ctx context.Context, q Queries, run *ReconRun, f finding) (int, error) {
	now := s.now()
	d, err := q.FindDiscrepancy(ctx, run.Day, f.kind, f.ref)
	if errors.Is(err, ErrNotFound) {
		d = &Discrepancy{Day: run.Day, Kind: f.kind, Ref: f.ref, State: DiscrepancyOpen, FirstRunID: run.ID, CreatedAt: now}
		fill(d, f, run, now)
		resolved := 0
		if f.fixed {
			d.State, d.ClosedAt, d.Note, resolved = DiscrepancyResolved, &now, fmt.Sprintf("recorded by run #%d", run.ID), 1
		}
		err = q.InsertDiscrepancy(ctx, d)
		if errors.Is(err, ErrDuplicate) {
			err = ErrStale // a concurrent run of the day inserted it: run the transaction again
		}
		return resolved, err
	}
	if err != nil {
		return 0, err
	}
	fill(d, f, run, now)
	resolved := 0
	if d.State == DiscrepancyOpen && f.fixed {
		d.State, d.ClosedAt, d.Note, resolved = DiscrepancyResolved, &now, fmt.Sprintf("recorded by run #%d", run.ID), 1
	}
	return resolved, q.UpdateDiscrepancy(ctx, d)
}

// fill copies what a run saw into d.
func fill(d *Discrepancy, f finding, run *ReconRun, now time.Time) {
	d.OutTradeNo, d.RefundNo, d.TradeNo = f.outTradeNo, f.refundNo, f.tradeNo
	d.Ours, d.Alipay, d.Detail = f.ours, f.alipay, truncate(f.detail, 1000)
	d.LastRunID, d.UpdatedAt = run.ID, now
}

// resolveGone resolves, inside the run's transaction, the day's open discrepancies this run
// no longer sees, and the earlier days' "not in bill" ones that appeared in this bill
// (appeared: their IDs). It returns how many it resolved.
func (s *Service) resolveGone(ctx context.Context, q Queries, run *ReconRun, seen map[string]bool, appeared []int64) (int, error) {
	open, err := q.ListDiscrepancies(ctx, DiscrepancyFilter{Day: run.Day, State: DiscrepancyOpen, Limit: maxOpenCount})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range open {
		if seen[string(d.Kind)+"\x00"+d.Ref] {
			continue
		}
		if err := s.resolve(ctx, q, d, run, fmt.Sprintf("not found again by run #%d", run.ID)); err != nil {
			return n, err
		}
		n++
	}
	for _, id := range appeared {
		d, err := q.GetDiscrepancy(ctx, id)
		if err != nil {
			return n, err
		}
		if d.State != DiscrepancyOpen {
			continue
		}
		if err := s.resolve(ctx, q, d, run, fmt.Sprintf("found in the bill of %s (run #%d): the bill closed late", run.Day, run.ID)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// resolve marks d resolved by run, which becomes the last run that saw it.
func (s *Service) resolve(ctx context.Context, q Queries, d *Discrepancy, run *ReconRun, note string) error {
	now := s.now()
	d.State, d.Note, d.ClosedAt, d.UpdatedAt, d.LastRunID = DiscrepancyResolved, note, &now, now, run.ID
	return q.UpdateDiscrepancy(ctx, d)
}
