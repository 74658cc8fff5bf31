package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const reconRunCols = `id, bill_date, triggered_by, source, status, note, started_at, finished_at, totals,
	found_count, resolved_count, open_count`

const discrepancyCols = `id, bill_date, kind, ref, out_trade_no, refund_no, trade_no, ours, alipay, detail,
	state, note, first_run_id, last_run_id, created_at, updated_at, closed_at, version`

var (
	stInsertReconRun = define("InsertReconRun", `INSERT INTO reconciliation_runs (bill_date, triggered_by,
		source, status, note, started_at, finished_at, totals, found_count, resolved_count, open_count)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)
		RETURNING id`)
	stUpdateReconRun = define("UpdateReconRun", `UPDATE reconciliation_runs SET status = ?, note = ?,
		finished_at = ?, totals = ?, found_count = ?, resolved_count = ?, open_count = ?
		WHERE id = ?`)
	stGetReconRun   = define("GetReconRun", `SELECT `+reconRunCols+` FROM reconciliation_runs WHERE id = ?`)
	stListReconRuns = define("ListReconRuns", `SELECT `+reconRunCols+` FROM reconciliation_runs
		WHERE id < ? ORDER BY id DESC LIMIT ?`)
	stLastReconRun = define("LastReconRun", `SELECT `+reconRunCols+` FROM reconciliation_runs
		WHERE bill_date = ? ORDER BY id DESC LIMIT 1`)

	stInsertDiscrepancy = define("InsertDiscrepancy", `INSERT INTO reconciliation_discrepancies (bill_date,
		kind, ref, out_trade_no, refund_no, trade_no, ours, alipay, detail, state, note, first_run_id,
		last_run_id, created_at, updated_at, closed_at, version)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)
		RETURNING id`)
	stUpdateDiscrepancy = define("UpdateDiscrepancy", `UPDATE reconciliation_discrepancies SET
		out_trade_no = ?, refund_no = ?, trade_no = ?, ours = ?, alipay = ?, detail = ?, state = ?, note = ?,
		last_run_id = ?, updated_at = ?, closed_at = ?, version = version + 1
		WHERE id = ? AND version = ?`)
	stDiscrepancyExists = define("discrepancyExists", `SELECT 1 FROM reconciliation_discrepancies WHERE id = ?`)
	stGetDiscrepancy    = define("GetDiscrepancy", `SELECT `+discrepancyCols+` FROM reconciliation_discrepancies
		WHERE id = ?`)
	stFindDiscrepancy = define("FindDiscrepancy", `SELECT `+discrepancyCols+` FROM reconciliation_discrepancies
		WHERE bill_date = ? AND kind = ? AND ref = ?`)
)

func scanReconRun(s scanner) (*payment.ReconRun, error) {
	var r payment.ReconRun
	var totals string
	err := s.Scan(&r.ID, &r.Day, &r.Trigger, &r.Source, &r.Status, &r.Note, tm(&r.StartedAt), tm(&r.FinishedAt),
		&totals, &r.Found, &r.Resolved, &r.Open)
	if err != nil {
		return nil, err
	}
	if r.Totals, err = parseTotals(totals); err != nil {
		return nil, fmt.Errorf("reconciliation run %d: totals: %w", r.ID, err)
	}
	return &r, nil
}

func scanDiscrepancy(s scanner) (*payment.Discrepancy, error) {
	var d payment.Discrepancy
	err := s.Scan(&d.ID, &d.Day, &d.Kind, &d.Ref, &d.OutTradeNo, &d.RefundNo, &d.TradeNo, &d.Ours, &d.Alipay,
		&d.Detail, &d.State, &d.Note, &d.FirstRunID, &d.LastRunID, tm(&d.CreatedAt), tm(&d.UpdatedAt),
		tmNull(&d.ClosedAt), &d.Version)
	return &d, err
}

// storedTotals is ReconTotals as the totals column keeps it: fen as JSON numbers, since
// amounts in the merchant API's JSON form cannot be negative and fees are.
type storedTotals struct {
	Books   [5]int64  `json:"books"`   // trade count, trade amount, refund count, refund amount, fee
	Bill    [5]int64  `json:"bill"`    // the same
	Summary *[4]int64 `json:"summary"` // trade count, refund count, amount, fee; null = none
}

func totalsArray(t payment.BillTotals) [5]int64 {
	return [5]int64{int64(t.TradeCount), int64(t.TradeAmount), int64(t.RefundCount), int64(t.RefundAmount), int64(t.Fee)}
}

func billTotals(a [5]int64) payment.BillTotals {
	return payment.BillTotals{TradeCount: int(a[0]), TradeAmount: payment.Amount(a[1]), RefundCount: int(a[2]),
		RefundAmount: payment.Amount(a[3]), Fee: payment.SignedAmount(a[4])}
}

func totalsJSON(t payment.ReconTotals) (string, error) {
	st := storedTotals{Books: totalsArray(t.Books), Bill: totalsArray(t.Bill)}
	if s := t.Summary; s != nil {
		st.Summary = &[4]int64{int64(s.TradeCount), int64(s.RefundCount), int64(s.Amount), int64(s.Fee)}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("reconciliation totals: %w", err)
	}
	return string(b), nil
}

func parseTotals(text string) (payment.ReconTotals, error) {
	var st storedTotals
	if err := json.Unmarshal([]byte(text), &st); err != nil {
		return payment.ReconTotals{}, err
	}
	t := payment.ReconTotals{Books: billTotals(st.Books), Bill: billTotals(st.Bill)}
	if s := st.Summary; s != nil {
		t.Summary = &payment.BillSummary{TradeCount: int(s[0]), RefundCount: int(s[1]), Amount: payment.SignedAmount(s[2]),
			Fee: payment.SignedAmount(s[3])}
	}
	return t, nil
}

// InsertReconRun adds r and sets r.ID.
func (q *queries) InsertReconRun(ctx context.Context, r *payment.ReconRun) error {
	totals, err := totalsJSON(r.Totals)
	if err != nil {
		return err
	}
	id, err := q.id(ctx, stInsertReconRun, r.Day, r.Trigger, r.Source, r.Status, r.Note, r.StartedAt,
		r.FinishedAt, totals, r.Found, r.Resolved, r.Open)
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

// UpdateReconRun rewrites a run's outcome, totals and counts; ErrNotFound when it does not
// exist.
func (q *queries) UpdateReconRun(ctx context.Context, r *payment.ReconRun) error {
	totals, err := totalsJSON(r.Totals)
	if err != nil {
		return err
	}
	n, err := q.exec(ctx, stUpdateReconRun, r.Status, r.Note, r.FinishedAt, totals, r.Found, r.Resolved, r.Open, r.ID)
	if err == nil && n == 0 {
		err = payment.ErrNotFound
	}
	return err
}

// GetReconRun returns one run; ErrNotFound when there is none.
func (q *queries) GetReconRun(ctx context.Context, id int64) (*payment.ReconRun, error) {
	return get(ctx, q, scanReconRun, stGetReconRun, id)
}

// ListReconRuns returns up to limit (default 50) runs with ID below before (0 = from the
// newest), newest first.
func (q *queries) ListReconRuns(ctx context.Context, before int64, limit int) ([]*payment.ReconRun, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	return list(ctx, q, scanReconRun, stListReconRuns, before, limitOr(limit, 50))
}

// LastReconRun returns the newest run of day; ErrNotFound when there is none.
func (q *queries) LastReconRun(ctx context.Context, day payment.BillDay) (*payment.ReconRun, error) {
	return get(ctx, q, scanReconRun, stLastReconRun, day)
}

// InsertDiscrepancy adds d, setting d.ID and d.Version=1; ErrDuplicate when (day, kind,
// ref) exists.
func (q *queries) InsertDiscrepancy(ctx context.Context, d *payment.Discrepancy) error {
	id, err := q.id(ctx, stInsertDiscrepancy, d.Day, d.Kind, d.Ref, d.OutTradeNo, d.RefundNo, d.TradeNo, d.Ours,
		d.Alipay, d.Detail, d.State, d.Note, d.FirstRunID, d.LastRunID, d.CreatedAt, d.UpdatedAt, d.ClosedAt)
	if err != nil {
		return err
	}
	d.ID, d.Version = id, 1
	return nil
}

// UpdateDiscrepancy writes d's mutable fields where id and version match and bumps
// d.Version; ErrStale when it changed since it was read, ErrNotFound when it is gone.
func (q *queries) UpdateDiscrepancy(ctx context.Context, d *payment.Discrepancy) error {
	n, err := q.exec(ctx, stUpdateDiscrepancy, d.OutTradeNo, d.RefundNo, d.TradeNo, d.Ours, d.Alipay, d.Detail,
		d.State, d.Note, d.LastRunID, d.UpdatedAt, d.ClosedAt, d.ID, d.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.staleOrMissing(ctx, stDiscrepancyExists, d.ID)
	}
	d.Version++
	return nil
}

// GetDiscrepancy returns one discrepancy; ErrNotFound when there is none.
func (q *queries) GetDiscrepancy(ctx context.Context, id int64) (*payment.Discrepancy, error) {
	return get(ctx, q, scanDiscrepancy, stGetDiscrepancy, id)
}

// FindDiscrepancy returns the discrepancy (day, kind, ref); ErrNotFound when there is none.
func (q *queries) FindDiscrepancy(ctx context.Context, day payment.BillDay, kind payment.DiscrepancyKind, ref string) (*payment.Discrepancy, error) {
	return get(ctx, q, scanDiscrepancy, stFindDiscrepancy, day, kind, ref)
}

// ListDiscrepancies returns the discrepancies f selects, newest day first and by ID within
// a day, up to f.Limit (default 100). Built at run time, as ListOrders is.
func (q *queries) ListDiscrepancies(ctx context.Context, f payment.DiscrepancyFilter) ([]*payment.Discrepancy, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if f.Day != "" {
		add("bill_date = ?", f.Day)
	}
	if f.Before != "" {
		add("bill_date < ?", f.Before)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.RunID != 0 {
		add("last_run_id = ?", f.RunID)
	}
	if len(f.Kinds) > 0 {
		marks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			marks[i] = "?"
			args = append(args, k)
		}
		where = append(where, "kind IN ("+strings.Join(marks, ", ")+")")
	}
	query := `SELECT ` + discrepancyCols + ` FROM reconciliation_discrepancies`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY bill_date DESC, id LIMIT ?`
	args = append(args, limitOr(f.Limit, 100))
	return listSQL(ctx, q, scanDiscrepancy, q.d.compile(query), args...)
}
