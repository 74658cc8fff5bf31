package main

import (
	"fmt"
	"io"
	"time"
)

// printTable prints the figures of each database side by side, with the goals.
func printTable(w io.Writer, rs []*result) {
	fmt.Fprintln(w)
	fmt.Fprint(w, "| figure |")
	for _, r := range rs {
		fmt.Fprintf(w, " %s |", r.db)
	}
	fmt.Fprintln(w, " goal |")
	fmt.Fprint(w, "|---|")
	for range rs {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w, "---|")
	row := func(name, goal string, cell func(r *result) string) {
		fmt.Fprintf(w, "| %s |", name)
		for _, r := range rs {
			fmt.Fprintf(w, " %s |", cell(r))
		}
		fmt.Fprintf(w, " %s |\n", goal)
	}
	row("create through the API ÷ bare SDK precreate loop (16 workers)", "≥ 0.85", func(r *result) string {
		return fmt.Sprintf("%.0f ÷ %.0f /s = **%.2f**", r.create.rate(), r.sdk.rate(), r.create.rate()/r.sdk.rate())
	})
	row("signed query ÷ `GET /health` (16 workers)", "≥ 0.40", func(r *result) string {
		return fmt.Sprintf("%.0f ÷ %.0f /s = **%.3f**", r.query16.rate(), r.health.rate(), r.query16.rate()/r.health.rate())
	})
	row("signed query, 1 worker", "p99 < 5 ms", func(r *result) string {
		return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", ms(r.query1.pct(0.5)), ms(r.query1.pct(0.99)))
	})
	row("signed query, 200 workers", "p99 < 100 ms", func(r *result) string {
		return fmt.Sprintf("%.0f /s, p99 %.0f ms", r.query200.rate(), ms(r.query200.pct(0.99)))
	})
	row("1,000 orders paid at once: notify → verify → confirming query → commit → event", "≥ 0.5 × the SDK loop", func(r *result) string {
		rate := float64(r.paid) / r.paidIn.Seconds()
		return fmt.Sprintf("**%.0f orders/s** = %.2f × SDK loop (%d of %d in %s)", rate, rate/r.sdk.rate(), r.paid, r.paidWanted,
			r.paidIn.Round(10*time.Millisecond))
	})
	row("server RSS: start → end (peak)", "≤ 100 MB", func(r *result) string {
		return fmt.Sprintf("%d → %d MB (peak %d)", r.rssStart/1024, r.rssEnd/1024, r.rssPeak/1024)
	})
}
