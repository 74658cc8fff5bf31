package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// MaxBillUpload bounds a bill zip uploaded on the console. The request itself is bounded
// first by the HTTP layer's body limit of console pages (docs/decisions.md,
// "Reconciliation").
const MaxBillUpload = 16 << 20

// mountReconciliation adds the reconciliation page, its actions and the finance export.
func (h *Handler) mountReconciliation(in *gin.RouterGroup) {
	in.GET("/reconciliation", h.reconciliation)
	in.POST("/reconciliation/run", h.reconcileNow)
	in.POST("/reconciliation/upload", h.reconcileUpload)
	in.POST("/reconciliation/discrepancies/:id/acknowledge", h.acknowledge)
	in.GET("/reconciliation/export.csv", h.exportCSV)
}

type runRow struct {
	ID                             int64
	Day, Finished, Trigger, Source string
	Status, Note                   string
	BooksTrades, BillTrades        string // "2 · 137.90"
	BooksRefunds, BillRefunds, Fee string
	TradesDiffer, RefundsDiffer    bool
	Summary                        string
	Found, Resolved, Open          int
}

type discrepancyRow struct {
	ID                             int64
	Day, Kind, State, Detail, Note string
	OutTradeNo, RefundNo, TradeNo  string
	Ours, Alipay                   string
	Linked                         bool // an order of f2fpay: link to it
}

type reconView struct {
	pageData
	Yesterday, All, Done, Error string
	Discrepancies               []discrepancyRow
	OpenCount                   int
	Runs                        []runRow
	MaxNote                     int
}

// reconciliation lists the open discrepancies (all with ?all=1) and the latest runs with
// each day's totals, the books' and Alipay's side by side.
func (h *Handler) reconciliation(c *gin.Context) {
	v := reconView{Done: doneMessage(c.Query("done"), c.Query("run"))}
	h.renderRecon(c, http.StatusOK, v)
}

func (h *Handler) renderRecon(c *gin.Context, status int, v reconView) {
	ctx := c.Request.Context()
	v.pageData = h.consoleData(c, "Reconciliation", "reconciliation")
	v.Yesterday, v.All, v.MaxNote = string(payment.BillDayOf(h.now()).AddDays(-1)), c.Query("all"), payment.MaxNoteLength
	f := payment.DiscrepancyFilter{State: payment.DiscrepancyOpen, Limit: 200}
	if v.All != "" {
		f.State = ""
	}
	ds, err := h.store.ListDiscrepancies(ctx, f)
	if err != nil {
		h.internalError(c, err)
		return
	}
	depths, err := h.store.QueueDepths(ctx, h.now())
	if err != nil {
		h.internalError(c, err)
		return
	}
	v.OpenCount = int(depths.DiscrepanciesOpen) // all of them, also beyond the listed 200
	for _, d := range ds {
		v.Discrepancies = append(v.Discrepancies, discrepancyRow{ID: d.ID, Day: string(d.Day), Kind: string(d.Kind),
			State: string(d.State), Detail: d.Detail, Note: d.Note, OutTradeNo: d.OutTradeNo, RefundNo: d.RefundNo,
			TradeNo: d.TradeNo, Ours: signed(d.Ours), Alipay: signed(d.Alipay),
			Linked: payment.ValidID(d.OutTradeNo) && d.Kind != payment.KindUnknownOrder})
	}
	runs, err := h.store.ListReconRuns(ctx, 0, 30)
	if err != nil {
		h.internalError(c, err)
		return
	}
	for _, r := range runs {
		v.Runs = append(v.Runs, h.runRow(r))
	}
	h.render(c, status, "reconciliation", v)
}

func signed(a payment.Amount) string {
	if a == 0 {
		return "–"
	}
	return a.String()
}

func (h *Handler) runRow(r *payment.ReconRun) runRow {
	t := r.Totals
	row := runRow{ID: r.ID, Day: string(r.Day), Finished: h.fmtTime(r.FinishedAt), Trigger: r.Trigger, Source: r.Source,
		Status: string(r.Status), Note: r.Note, Found: r.Found, Resolved: r.Resolved, Open: r.Open}
	if r.Status != payment.RunCompleted {
		return row
	}
	pair := func(n int, a payment.Amount) string { return fmt.Sprintf("%d · %s", n, a) }
	row.BooksTrades, row.BillTrades = pair(t.Books.TradeCount, t.Books.TradeAmount), pair(t.Bill.TradeCount, t.Bill.TradeAmount)
	row.BooksRefunds, row.BillRefunds = pair(t.Books.RefundCount, t.Books.RefundAmount), pair(t.Bill.RefundCount, t.Bill.RefundAmount)
	row.TradesDiffer = row.BooksTrades != row.BillTrades
	row.RefundsDiffer = row.BooksRefunds != row.BillRefunds
	row.Fee = t.Bill.Fee.String()
	if s := t.Summary; s != nil {
		row.Summary = fmt.Sprintf("%d payments, %d refunds, net %s, fee %s", s.TradeCount, s.RefundCount, s.Amount, s.Fee)
	}
	return row
}

// doneMessage says what the action before the redirect did.
func doneMessage(done, run string) string {
	switch done {
	case "run":
		if _, err := strconv.ParseInt(run, 10, 64); err != nil {
			return ""
		}
		return "Reconciliation run #" + run + " completed; its discrepancies are listed below."
	case "acknowledged":
		return "Discrepancy acknowledged."
	}
	return ""
}

// reconcileNow reconciles a day against the bill downloaded from Alipay.
func (h *Handler) reconcileNow(c *gin.Context) {
	h.reconcileDay(c, nil)
}

// reconcileUpload reconciles a day against a bill zip downloaded by hand from Alipay's
// portal (multipart field "bill", at most MaxBillUpload bytes).
func (h *Handler) reconcileUpload(c *gin.Context) {
	fh, err := c.FormFile("bill")
	if err != nil {
		h.renderRecon(c, http.StatusBadRequest, reconView{Error: "Choose the bill zip to upload (at most 16 MiB)."})
		return
	}
	f, err := fh.Open()
	if err != nil {
		h.internalError(c, err)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBillUpload+1))
	if err != nil || len(data) > MaxBillUpload {
		h.renderRecon(c, http.StatusRequestEntityTooLarge, reconView{Error: "The bill is larger than 16 MiB; use f2fpay reconcile --bill."})
		return
	}
	b, err := h.svc.ParseBill(data)
	if err != nil {
		status, msg := actionStatus(err)
		h.renderRecon(c, status, reconView{Error: "Not a readable Alipay bill: " + msg})
		return
	}
	h.reconcileDay(c, b)
}

// reconcileDay runs the form's day against b (nil: download it) and redirects to the page.
func (h *Handler) reconcileDay(c *gin.Context, b *payment.Bill) {
	day, err := payment.ParseBillDay(strings.TrimSpace(c.PostForm("date")))
	if err != nil {
		h.renderRecon(c, http.StatusBadRequest, reconView{Error: "The date must be a day like 2026-11-28."})
		return
	}
	run, err := h.svc.ReconcileDay(c.Request.Context(), payment.ReconcileInput{Day: day, Bill: b, Trigger: payment.TriggerConsole})
	if errors.Is(err, payment.ErrBillNotReady) {
		h.renderRecon(c, http.StatusConflict, reconView{Error: fmt.Sprintf("Alipay has no bill for %s yet: it publishes a day's bill "+
			"the next morning. Try again later, or upload a bill downloaded from Alipay's portal.", day)})
		return
	}
	if err != nil {
		status, msg := actionStatus(err)
		if status == http.StatusInternalServerError {
			h.log.Error("console reconciliation", slog.String("date", string(day)), slog.String("err", err.Error()))
		}
		h.renderRecon(c, status, reconView{Error: "Reconciliation of " + string(day) + " failed: " + msg})
		return
	}
	h.log.Info("console reconciliation", slog.String("date", string(day)), slog.Int64("run_id", run.ID))
	c.Redirect(http.StatusSeeOther, "/admin/reconciliation?done=run&run="+strconv.FormatInt(run.ID, 10))
}

// acknowledge marks an open discrepancy as looked at, with the operator's note.
func (h *Handler) acknowledge(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		h.adminError(c, http.StatusNotFound, "No such discrepancy.")
		return
	}
	if _, err := h.svc.AcknowledgeDiscrepancy(c.Request.Context(), id, c.PostForm("note")); err != nil {
		status, msg := actionStatus(err)
		h.renderRecon(c, status, reconView{Error: msg})
		return
	}
	back := url.Values{"done": {"acknowledged"}}
	if c.PostForm("all") != "" {
		back.Set("all", "1")
	}
	c.Redirect(http.StatusSeeOther, "/admin/reconciliation?"+back.Encode())
}
