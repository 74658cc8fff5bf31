package payment

import (
	"context"
	"time"
)

// DiscrepancyKind names what a reconciliation found wrong (docs/decisions.md,
// "Reconciliation").
type DiscrepancyKind string

// Discrepancy kinds.
const (
	// KindPaymentNotRecorded: paid at Alipay, not here. Queried and recorded as paid when
	// alipay.trade.query confirms it (resolved automatically), else left open.
	KindPaymentNotRecorded DiscrepancyKind = "payment_not_recorded"
	// KindPaymentNotInBill: paid here, absent from the day's bill. Resolved automatically
	// when it appears in a later day's bill (the bill closes late) or in a re-run.
	KindPaymentNotInBill DiscrepancyKind = "payment_not_in_bill"
	// KindRefundNotRecorded: refunded at Alipay, unknown (or not succeeded) here. Recorded
	// at Alipay's amount when its refund query confirms it.
	KindRefundNotRecorded DiscrepancyKind = "refund_not_recorded"
	// KindRefundNotInBill: refunded here, absent from the day's bill; re-checked as
	// KindPaymentNotInBill is.
	KindRefundNotInBill DiscrepancyKind = "refund_not_in_bill"
	// KindAmountMismatch: a trade's or a refund's amount differs between bill and books.
	KindAmountMismatch DiscrepancyKind = "amount_mismatch"
	// KindUnknownOrder: a trade or refund of an out_trade_no f2fpay never issued (another
	// system sharing the Alipay app); reported, never imported as an order.
	KindUnknownOrder DiscrepancyKind = "unknown_order"
	// KindTotalsMismatch: the bill's rows disagree with its (汇总) file, or the books' day
	// totals differ from the bill's with no row to explain it.
	KindTotalsMismatch DiscrepancyKind = "totals_mismatch"
)

// DiscrepancyState is where a discrepancy stands.
type DiscrepancyState string

// Discrepancy states.
const (
	DiscrepancyOpen         DiscrepancyState = "open"         // needs attention
	DiscrepancyResolved     DiscrepancyState = "resolved"     // resolved automatically
	DiscrepancyAcknowledged DiscrepancyState = "acknowledged" // an operator looked at it
)

// Discrepancy is one difference between Alipay's bill of Day and the books, unique by
// (Day, Kind, Ref): a re-run of the day finds the same row again, never a second one.
type Discrepancy struct {
	ID         int64
	Day        BillDay
	Kind       DiscrepancyKind
	Ref        string // the key within the day and kind: out_trade_no, out_trade_no/refund_no, …
	OutTradeNo string
	RefundNo   string
	TradeNo    string
	Ours       Amount // the books' amount; 0 when the books have none
	Alipay     Amount // the bill's amount; 0 when the bill has none
	Detail     string
	State      DiscrepancyState
	Note       string // how it was resolved, or the operator's note
	FirstRunID int64
	LastRunID  int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ClosedAt   *time.Time // when it was resolved or acknowledged
	Version    int64
}

// RunStatus is the outcome of one reconciliation run.
type RunStatus string

// Run outcomes.
const (
	RunCompleted RunStatus = "completed" // the bill was compared with the books
	RunNotReady  RunStatus = "not_ready" // Alipay has no bill for the day yet; tried again later
	RunFailed    RunStatus = "failed"    // the bill could not be obtained or read
)

// Run triggers and bill sources.
const (
	TriggerSchedule = "schedule" // the daily worker
	TriggerCLI      = "cli"      // f2fpay reconcile
	TriggerConsole  = "console"  // the console's "run now" or upload
	SourceAlipay    = "alipay"   // downloaded through bill.downloadurl.query
	SourceFile      = "file"     // a zip downloaded by hand
)

// ReconTotals are a run's day totals side by side: the books, the bill's rows and the
// bill's (汇总) file (nil when the zip had none).
type ReconTotals struct {
	Books   BillTotals   `json:"books"`
	Bill    BillTotals   `json:"bill"`
	Summary *BillSummary `json:"summary,omitempty"`
}

// ReconRun is one reconciliation of a day. Found counts the discrepancies the run saw
// (including those it resolved at once), Resolved those it resolved automatically
// (there or earlier days'), Open those of the day still open after it.
type ReconRun struct {
	ID         int64
	Day        BillDay
	Trigger    string
	Source     string
	Status     RunStatus
	Note       string // why the bill was missing or failed; or what was assumed
	StartedAt  time.Time
	FinishedAt time.Time
	Totals     ReconTotals
	Found      int
	Resolved   int
	Open       int
}

// DiscrepancyFilter selects discrepancies, newest day first, then by ID.
type DiscrepancyFilter struct {
	Day    BillDay           // "" = any day
	Before BillDay           // "" = no bound; else only days before it
	State  DiscrepancyState  // "" = any
	Kinds  []DiscrepancyKind // empty = any
	RunID  int64             // 0 = any; else those the run found or resolved last
	Limit  int               // 0 = the store's default (100)
}

// ReconQueries keep reconciliation runs and discrepancies (part of Queries).
type ReconQueries interface {
	// InsertReconRun adds r and sets r.ID; UpdateReconRun rewrites its outcome and counts.
	InsertReconRun(ctx context.Context, r *ReconRun) error
	UpdateReconRun(ctx context.Context, r *ReconRun) error
	// GetReconRun returns one run; ErrNotFound when there is none.
	GetReconRun(ctx context.Context, id int64) (*ReconRun, error)
	// ListReconRuns returns runs newest first, with ID below before (0 = from the newest).
	ListReconRuns(ctx context.Context, before int64, limit int) ([]*ReconRun, error)
	// LastReconRun returns the newest run of day; ErrNotFound when there is none.
	LastReconRun(ctx context.Context, day BillDay) (*ReconRun, error)

	// InsertDiscrepancy adds d, setting d.ID and d.Version=1; ErrDuplicate when (Day, Kind,
	// Ref) exists. UpdateDiscrepancy writes its mutable fields where ID and Version match
	// and bumps d.Version; ErrStale when it changed since it was read.
	InsertDiscrepancy(ctx context.Context, d *Discrepancy) error
	UpdateDiscrepancy(ctx context.Context, d *Discrepancy) error
	// GetDiscrepancy and FindDiscrepancy return one discrepancy or ErrNotFound.
	GetDiscrepancy(ctx context.Context, id int64) (*Discrepancy, error)
	FindDiscrepancy(ctx context.Context, day BillDay, kind DiscrepancyKind, ref string) (*Discrepancy, error)
	ListDiscrepancies(ctx context.Context, f DiscrepancyFilter) ([]*Discrepancy, error)

	// ListPaidOrders returns orders with PaidAt in [from, to) and ID above after, by ID, up
	// to limit: the payments of a day in the books. ListSucceededRefunds does the same for
	// succeeded refunds by SucceededAt.
	ListPaidOrders(ctx context.Context, from, to time.Time, after int64, limit int) ([]*Order, error)
	ListSucceededRefunds(ctx context.Context, from, to time.Time, after int64, limit int) ([]*Refund, error)

	// ClaimReconciliation takes the scheduled reconciliation of day for owner when it is
	// due: never tried, or due again (its retry time, or its last lease, at or before now).
	// Its next attempt moves to leaseUntil, so a claimer that dies frees it then. ok is
	// false, with no error, when it is done or not due.
	ClaimReconciliation(ctx context.Context, day BillDay, owner string, now, leaseUntil time.Time) (ok bool, err error)
	// FinishReconciliation ends owner's claim: done when next is nil, else due again at
	// next. ErrStale when owner no longer holds it.
	FinishReconciliation(ctx context.Context, day BillDay, owner string, next *time.Time, now time.Time) error
}
