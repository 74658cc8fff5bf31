package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/f2fpay/f2fpay/bench/internal/seed"
	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// scaleFigures are the figures that should hold at a million orders (docs/BENCHMARKS.md).
type scaleFigures struct {
	queryP99   time.Duration // signed query, 16 workers
	createRate float64       // creates/s, 16 workers
	listP99    time.Duration // GET /api/v1/payment/list, one page of 100 following the cursor
	dashboard  time.Duration // the console dashboard's reads: the last 24 h's orders, by pages of 500 (median of 5)
	searchP99  time.Duration // the console's order search by out_trade_no or trade_no
}

// measureScale runs the scale figures against the server s on its store st; nos are the
// out_trade_nos the queries and searches pick from. The dashboard's reads stop at dayEnd,
// the end of the base orders: the creates of each measurement add a day's orders, and a
// second measurement that paged through both measurements' creates would read twice the
// rows for a reason other than the million older ones.
func measureScale(ctx context.Context, o options, s served, st payment.Store, c *client.Client, nos []string, tag string, dayEnd time.Time) (scaleFigures, error) {
	var f scaleFigures
	q := load(ctx, o.workers, o.n, o.phase, func(ctx context.Context, i int) error {
		_, err := c.Query(ctx, nos[rand.IntN(len(nos))], client.QueryOptions{})
		return err
	})
	if q.ok == 0 {
		return f, fmt.Errorf("queries: %v", q.firstErr)
	}
	f.queryP99 = q.pct(0.99)
	cr := load(ctx, o.workers, o.n/2, o.phase, func(ctx context.Context, i int) error {
		_, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: "scale_" + tag + "_" + strconv.Itoa(i), TotalAmount: "9.90", Subject: "perf"})
		return err
	})
	f.createRate = cr.rate()
	var pages []time.Duration
	cursor := ""
	for range 20 {
		t0 := time.Now()
		l, err := c.List(ctx, client.ListOptions{Limit: 100, Cursor: cursor})
		if err != nil {
			return f, fmt.Errorf("list: %v", err)
		}
		pages = append(pages, time.Since(t0))
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	f.listP99 = pctOf(pages, 0.99)
	var dash []time.Duration
	for range 5 {
		t0 := time.Now()
		var before int64
		for {
			page, err := st.ListOrders(ctx, payment.OrderFilter{From: time.Now().Add(-24 * time.Hour), To: dayEnd, Before: before, Limit: 500})
			if err != nil {
				return f, fmt.Errorf("dashboard: %v", err)
			}
			if len(page) < 500 {
				break
			}
			before = page[len(page)-1].ID
		}
		dash = append(dash, time.Since(t0))
	}
	f.dashboard = pctOf(dash, 0.5)
	var searches []time.Duration
	for i := range 200 {
		no := nos[rand.IntN(len(nos))]
		filter := payment.OrderFilter{Search: no, Limit: 21}
		if i%2 == 1 { // by Alipay's trade_no, as an operator pastes it
			if o, err := st.GetOrder(ctx, no); err == nil && o.TradeNo != "" {
				filter.Search = o.TradeNo
			}
		}
		t0 := time.Now()
		if _, err := st.ListOrders(ctx, filter); err != nil {
			return f, fmt.Errorf("search: %v", err)
		}
		searches = append(searches, time.Since(t0))
	}
	f.searchP99 = pctOf(searches, 0.99)
	return f, nil
}

func pctOf(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))]
}

// scaleRun measures the scale figures on the empty database, seeds it with o.scale orders
// (bench/internal/seed) while the server runs, and measures them again.
func scaleRun(ctx context.Context, o options, s served, log io.Writer) error {
	var st payment.Store
	var err error
	database := ""
	if s.Database == "sqlite" {
		st, err = sqlite.Open(ctx, s.DBPath)
		database = "sqlite:" + s.DBPath
	} else {
		st, err = postgres.Open(ctx, o.pgURL, postgres.Options{Schema: s.Schema})
		database = o.pgURL
	}
	if err != nil {
		return err
	}
	defer st.Close()
	hc := httpClient(64)
	c := client.New(s.URL, s.AppID, s.Secret, client.WithHTTPClient(hc))
	var mu sync.Mutex
	var nos []string
	warm := load(ctx, o.workers, 500, time.Minute, func(ctx context.Context, i int) error {
		no := "scale_base_" + strconv.Itoa(i)
		_, _, err := c.Create(ctx, client.CreateRequest{OutTradeNo: no, TotalAmount: "9.90", Subject: "perf"})
		if err == nil {
			mu.Lock()
			nos = append(nos, no)
			mu.Unlock()
		}
		return err
	})
	if warm.ok == 0 {
		return fmt.Errorf("creating the base orders: %v", warm.firstErr)
	}
	dayEnd := time.Now()
	empty, err := measureScale(ctx, o, s, st, c, nos, "empty", dayEnd)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "%s: seeding %d orders…\n", s.Database, o.scale)
	db, pg, err := seed.Open(ctx, database, s.Schema)
	if err != nil {
		return err
	}
	t0 := time.Now()
	err = seed.Seed(ctx, db, seed.Options{Postgres: pg, ClientID: s.AppID, Orders: o.scale,
		End: time.Now().Add(-24 * time.Hour), Log: log})
	db.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "%s: seeded in %s\n", s.Database, time.Since(t0).Round(time.Second))
	seeded := make([]string, 0, 5000)
	for range 5000 {
		seeded = append(seeded, fmt.Sprintf("seed-%07d", 1+rand.IntN(o.scale)))
	}
	full, err := measureScale(ctx, o, s, st, c, append(seeded, nos...), "full", dayEnd)
	if err != nil {
		return err
	}
	if s.Database == "sqlite" {
		if fi, err := os.Stat(s.DBPath); err == nil {
			fmt.Fprintf(log, "%s: database file %d MB\n", s.Database, fi.Size()>>20)
		}
	}
	row := func(name string, a, b float64, unit string, lowerIsBetter bool) {
		ratio := b / a
		ok := ratio <= 1.2
		if !lowerIsBetter {
			ok = ratio >= 1/1.2
		}
		verdict := "within 20 %"
		if !ok {
			verdict = "NOT within 20 %"
		}
		fmt.Fprintf(log, "| %s | %.2f %s | %.2f %s | %.2f | %s |\n", name, a, unit, b, unit, ratio, verdict)
	}
	fmt.Fprintf(log, "\n%s, empty database vs %d seeded orders (spread over the year before yesterday):\n\n", s.Database, o.scale)
	fmt.Fprintln(log, "| figure | empty | seeded | seeded ÷ empty | |")
	fmt.Fprintln(log, "|---|---|---|---|---|")
	row("signed query p99, 16 workers", ms(empty.queryP99), ms(full.queryP99), "ms", true)
	row("create rate, 16 workers", empty.createRate, full.createRate, "/s", false)
	row("list with a cursor, p99 of 20 pages of 100", ms(empty.listP99), ms(full.listP99), "ms", true)
	row("console dashboard reads (last 24 h, the run's base orders), median of 5", ms(empty.dashboard), ms(full.dashboard), "ms", true)
	row("console order search, p99 of 200", ms(empty.searchP99), ms(full.searchP99), "ms", true)
	return nil
}
