package payment

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// ReconciliationObject is a reconciliation run as the reconciliation.completed event, the
// CLI's --json and the console show it.
type ReconciliationObject struct {
	RunID         int64              `json:"run_id"`
	Date          BillDay            `json:"date"`
	Status        RunStatus          `json:"status"`
	Source        string             `json:"source"`
	Trigger       string             `json:"trigger"`
	Note          string             `json:"note,omitempty"`
	Discrepancies DiscrepancyCounts  `json:"discrepancies"`
	Totals        ReconTotals        `json:"totals"`
	StartedAt     time.Time          `json:"started_at"`
	FinishedAt    time.Time          `json:"finished_at"`
	Items         []DiscrepancyShown `json:"items,omitempty"`
}

// DiscrepancyCounts are a run's counts (ReconRun).
type DiscrepancyCounts struct {
	Found    int `json:"found"`
	Resolved int `json:"resolved"`
	Open     int `json:"open"`
}

// DiscrepancyShown is a discrepancy for people and scripts.
type DiscrepancyShown struct {
	ID         int64            `json:"id"`
	Date       BillDay          `json:"date"`
	Kind       DiscrepancyKind  `json:"kind"`
	State      DiscrepancyState `json:"state"`
	OutTradeNo string           `json:"out_trade_no,omitempty"`
	RefundNo   string           `json:"refund_no,omitempty"`
	TradeNo    string           `json:"trade_no,omitempty"`
	Ours       SignedAmount     `json:"ours"`
	Alipay     SignedAmount     `json:"alipay"`
	Detail     string           `json:"detail"`
	Note       string           `json:"note,omitempty"`
}

// ReconciliationView renders a run without its discrepancies (the event's data).
func ReconciliationView(r *ReconRun) ReconciliationObject {
	return ReconciliationObject{RunID: r.ID, Date: r.Day, Status: r.Status, Source: r.Source, Trigger: r.Trigger,
		Note: r.Note, Discrepancies: DiscrepancyCounts{Found: r.Found, Resolved: r.Resolved, Open: r.Open},
		Totals: r.Totals, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
}

// DiscrepancyView renders d.
func DiscrepancyView(d *Discrepancy) DiscrepancyShown {
	return DiscrepancyShown{ID: d.ID, Date: d.Day, Kind: d.Kind, State: d.State, OutTradeNo: d.OutTradeNo,
		RefundNo: d.RefundNo, TradeNo: d.TradeNo, Ours: SignedAmount(d.Ours), Alipay: SignedAmount(d.Alipay), Detail: d.Detail, Note: d.Note}
}

// RunDiscrepancies returns the discrepancies a run found or resolved (LastRunID).
func (s *Service) RunDiscrepancies(ctx context.Context, run *ReconRun) ([]*Discrepancy, error) {
	return s.store.ListDiscrepancies(ctx, DiscrepancyFilter{RunID: run.ID, Limit: maxOpenCount})
}

// MaxNoteLength bounds an operator's note, in characters.
const MaxNoteLength = 500

// AcknowledgeDiscrepancy marks an open discrepancy as looked at by the operator, with a
// note saying why it is fine or what was done. Errors: NOT_FOUND, CONFLICT (not open),
// INVALID_PARAMETER (an empty or overlong note).
func (s *Service) AcknowledgeDiscrepancy(ctx context.Context, id int64, note string) (*Discrepancy, error) {
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > MaxNoteLength || !utf8.ValidString(note) {
		return nil, Errorf(CodeInvalidParameter, "the note must say why, in 1 to %d characters", MaxNoteLength)
	}
	var out *Discrepancy
	err := s.tx(ctx, func(q Queries) error {
		d, err := q.GetDiscrepancy(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeNotFound, "discrepancy %d not found", id)
		} else if err != nil {
			return err
		}
		if d.State != DiscrepancyOpen {
			return Errorf(CodeConflict, "discrepancy %d is %s already", id, d.State)
		}
		now := s.now()
		d.State, d.Note, d.ClosedAt, d.UpdatedAt = DiscrepancyAcknowledged, note, &now, now
		out = d
		return q.UpdateDiscrepancy(ctx, d)
	})
	if err == nil {
		s.log.Info("discrepancy acknowledged", slog.Int64("id", id), slog.String("kind", string(out.Kind)),
			slog.String("date", string(out.Day)))
	}
	return out, err
}
