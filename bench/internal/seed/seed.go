// Package seed fills an f2fpay database with a year of a busy merchant's history, straight
// in SQL (a million orders take a minute, not the hours the API would): orders spread
// evenly over the year before a given time, 70 % paid, 20 % closed, 10 % refunded in full
// with their refund, one event per paid or refunded order and one per refund (their
// deliveries delivered), one notification per paid order, one Alipay call per order and a
// webhook attempt per ten events. Rows are written in chunks of their own transactions, so
// that a running gateway keeps serving meanwhile.
package seed

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"
)

// Options say what to seed.
type Options struct {
	Postgres bool      // the database is PostgreSQL; SQLite otherwise
	ClientID string    // the merchant client that owns the orders
	Orders   int       // how many
	End      time.Time // the newest order is created just before; the oldest a year before
	Chunk    int       // orders per transaction; default 50,000
	Log      io.Writer // progress, or nil
}

// Seed writes the rows; out_trade_no are seed-0000001 … so a second Seed of the same
// database fails on the unique key rather than doubling the history.
func Seed(ctx context.Context, db *sql.DB, o Options) error {
	if o.Chunk <= 0 {
		o.Chunk = 50000
	}
	start := o.End.Add(-365 * 24 * time.Hour)
	step := (365 * 24 * time.Hour) / time.Duration(max(o.Orders, 1))
	t0 := time.Now()
	for lo := 1; lo <= o.Orders; lo += o.Chunk {
		hi := min(lo+o.Chunk-1, o.Orders)
		if err := chunk(ctx, db, o, lo, hi, start, step); err != nil {
			return fmt.Errorf("seed orders %d–%d: %w", lo, hi, err)
		}
		if o.Log != nil {
			fmt.Fprintf(o.Log, "  seeded %d of %d orders (%s)\n", hi, o.Orders, time.Since(t0).Round(time.Second))
		}
	}
	if o.Postgres {
		// A table that grew over a year has had its statistics kept by autovacuum; one
		// filled in minutes has not, and the planner would measure a plan for an empty
		// table (a backward walk of the primary key for the order search).
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("seed: analyze: %w", err)
		}
	}
	return nil
}

// chunk writes orders lo…hi and everything that hangs off them in one transaction.
func chunk(ctx context.Context, db *sql.DB, o Options, lo, hi int, start time.Time, step time.Duration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d := dialect{pg: o.Postgres, startUS: start.UnixMicro(), stepUS: step.Microseconds()}
	for _, q := range d.statements() {
		q = strings.ReplaceAll(q, "{client}", "'"+strings.ReplaceAll(o.ClientID, "'", "''")+"'")
		q = strings.ReplaceAll(q, "{lo}", fmt.Sprint(lo))
		q = strings.ReplaceAll(q, "{hi}", fmt.Sprint(hi))
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%v\n%s", err, q)
		}
	}
	return tx.Commit()
}

// dialect writes the statements for one database: a series of integers, and times (SQLite
// INTEGER microseconds, PostgreSQL timestamptz).
type dialect struct {
	pg              bool
	startUS, stepUS int64
}

// series selects i from lo to hi.
func (d dialect) series() string {
	if d.pg {
		return `(SELECT generate_series({lo}::bigint, {hi}::bigint) AS i) s`
	}
	return `(WITH RECURSIVE r(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM r WHERE i < {hi}) SELECT i FROM r) s`
}

// at is the creation time of order i plus extra microseconds.
func (d dialect) at(extraUS string) string {
	us := fmt.Sprintf("(%d + s.i * %d + %s)", d.startUS, d.stepUS, extraUS)
	if d.pg {
		return "to_timestamp(" + us + " / 1000000.0)"
	}
	return us
}

func (d dialect) pad(expr string) string {
	if d.pg {
		return "lpad((" + expr + ")::text, 7, '0')"
	}
	return "printf('%07d', " + expr + ")"
}

// statements insert orders, refunds, events (and, by trigger, deliveries, then marked
// delivered), notifications, Alipay calls and webhook attempts of orders lo…hi.
func (d dialect) statements() []string {
	no := "'seed-' || " + d.pad("s.i")
	status := `CASE WHEN s.i % 10 < 7 THEN 'paid' WHEN s.i % 10 < 9 THEN 'closed' ELSE 'refunded' END`
	paid := `s.i % 10 NOT IN (7, 8)`
	tradeNo := "CASE WHEN " + paid + " THEN '2024' || " + d.pad("s.i") + " ELSE '' END"
	paidAt := "CASE WHEN " + paid + " THEN " + d.at("60000000") + " END"
	closedAt := "CASE WHEN NOT (" + paid + ") THEN " + d.at("900000000") + " END"
	refunded := "CASE WHEN s.i % 10 = 9 THEN 100 + s.i % 10000 ELSE 0 END"
	delivered := `UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL, delivered_at = updated_at
		WHERE event_id >= 'evt_seed_' || ` + d.pad("{lo}") + ` AND event_id <= 'evt_seed_' || ` + d.pad("{hi}") + ` || '~'`
	return []string{
		`INSERT INTO orders (client_id, out_trade_no, total_amount, subject, status, trade_no, buyer_logon_id,
			cashier_token, refunded_amount, timeout_minutes, created_at, updated_at, expires_at, paid_at, closed_at, notified)
		SELECT {client}, ` + no + `, 100 + s.i % 10000, 'seeded order', ` + status + `, ` + tradeNo + `, 'buyer***@example.com',
			'seedtok-' || s.i, ` + refunded + `, 15, ` + d.at("0") + `, ` + d.at("60000000") + `, ` + d.at("900000000") + `,
			` + paidAt + `, ` + closedAt + `, ` + trueVal(d.pg) + `
		FROM ` + d.series(),
		`INSERT INTO refunds (client_id, out_trade_no, refund_no, amount, status, created_at, updated_at, succeeded_at)
		SELECT {client}, ` + no + `, 'r1', 100 + s.i % 10000, 'succeeded', ` + d.at("3600000000") + `, ` + d.at("3600000000") + `,
			` + d.at("3600000000") + `
		FROM ` + d.series() + ` WHERE s.i % 10 = 9`,
		`INSERT INTO events (id, key, type, client_id, out_trade_no, created_at, data)
		SELECT 'evt_seed_' || ` + d.pad("s.i") + `, 'seed-paid-' || s.i, 'payment.succeeded', {client}, ` + no + `,
			` + d.at("60000000") + `, '{"seeded":true}'
		FROM ` + d.series() + ` WHERE ` + paid,
		`INSERT INTO events (id, key, type, client_id, out_trade_no, created_at, data)
		SELECT 'evt_seed_' || ` + d.pad("s.i") + ` || 'r', 'seed-refund-' || s.i, 'refund.succeeded', {client}, ` + no + `,
			` + d.at("3600000000") + `, '{"seeded":true}'
		FROM ` + d.series() + ` WHERE s.i % 10 = 9`,
		delivered,
		`INSERT INTO notifications (received_at, remote_addr, notify_id, out_trade_no, trade_status, raw, verified, outcome)
		SELECT ` + d.at("59000000") + `, '110.75.0.1:443', 'seednid' || s.i, ` + no + `, 'TRADE_SUCCESS',
			'gmt_create=2024-01-01+00%3A00%3A00&charset=utf-8&seller_email=shop%40example.com&subject=seeded+order&buyer_id=2088000000000000&invoice_amount=9.90&notify_id=seed&fund_bill_list=%5B%5D&notify_type=trade_status_sync&trade_status=TRADE_SUCCESS&receipt_amount=9.90&app_id=2021000000000001&buyer_pay_amount=9.90&sign_type=RSA2',
			` + trueVal(d.pg) + `, 'accepted'
		FROM ` + d.series() + ` WHERE ` + paid,
		`INSERT INTO channel_calls (out_trade_no, method, request, response, outcome, duration_ns, created_at)
		SELECT ` + no + `, 'alipay.trade.precreate', '{"out_trade_no":"seed"}', '{"code":"10000","msg":"Success","qr_code":"https://qr.alipay.com/seed"}',
			'ok', 120000000, ` + d.at("0") + `
		FROM ` + d.series(),
		`INSERT INTO delivery_attempts (event_id, attempt, url, at, status_code, latency_us, response)
		SELECT 'evt_seed_' || ` + d.pad("s.i") + `, 1, 'https://shop.example.com/hook', ` + d.at("61000000") + `, 200, 25000, 'ok'
		FROM ` + d.series() + ` WHERE s.i % 10 = 0`,
	}
}

func trueVal(pg bool) string {
	if pg {
		return "true"
	}
	return "1"
}
