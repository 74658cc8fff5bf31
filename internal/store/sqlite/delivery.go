package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const deliveryCols = `event_id, status, attempts, failures, next_attempt_at, lease_owner, lease_until,
	last_error, delivered_at, updated_at`

func scanDelivery(s scanner) (*payment.Delivery, error) {
	var d payment.Delivery
	var next, until, delivered sql.NullInt64
	var updated int64
	err := s.Scan(&d.EventID, &d.Status, &d.Attempts, &d.Failures, &next, &d.LeaseOwner, &until,
		&d.LastError, &delivered, &updated)
	if err != nil {
		return nil, translate(err)
	}
	d.NextAttemptAt, d.LeaseUntil, d.DeliveredAt = timePtr(next), timePtr(until), timePtr(delivered)
	d.UpdatedAt = fromMicros(updated)
	return &d, nil
}

// GetDelivery returns the delivery of an event; ErrNotFound when there is none.
func (q *queries) GetDelivery(ctx context.Context, eventID string) (*payment.Delivery, error) {
	return scanDelivery(q.db.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE event_id = ?`, eventID))
}

// ClaimDeliveries leases due pending deliveries in one UPDATE … RETURNING: the statement
// holds SQLite's write lock from its start, so two claims never overlap.
func (q *queries) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*payment.Delivery, error) {
	ds, err := list(ctx, q, scanDelivery, `UPDATE deliveries SET next_attempt_at = ?, lease_owner = ?, lease_until = ?
		WHERE event_id IN (SELECT event_id FROM deliveries
			WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? AND status = 'pending'
			ORDER BY next_attempt_at LIMIT ?)
		RETURNING `+deliveryCols,
		micros(leaseUntil), owner, micros(leaseUntil), micros(now), limitOr(limit, 100))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ds, func(a, b *payment.Delivery) int { return compareString(a.EventID, b.EventID) })
	return ds, nil
}

func compareString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FinishDelivery records the outcome of a claimed delivery while owner holds its lease.
func (q *queries) FinishDelivery(ctx context.Context, d *payment.Delivery, owner string) error {
	n, err := q.exec(ctx, `UPDATE deliveries SET status = ?, attempts = ?, failures = ?, next_attempt_at = ?,
		last_error = ?, delivered_at = ?, updated_at = ?, lease_owner = '', lease_until = NULL
		WHERE event_id = ? AND lease_owner = ? AND lease_owner != ''`,
		d.Status, d.Attempts, d.Failures, nullMicros(d.NextAttemptAt), d.LastError, nullMicros(d.DeliveredAt),
		micros(d.UpdatedAt), d.EventID, owner)
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := q.GetDelivery(ctx, d.EventID); err != nil {
			return err
		}
		return payment.ErrStale
	}
	d.LeaseOwner, d.LeaseUntil = "", nil
	return nil
}

// ResetDelivery makes a delivery pending and due at now, with a fresh schedule.
func (q *queries) ResetDelivery(ctx context.Context, eventID string, now time.Time) error {
	n, err := q.exec(ctx, `UPDATE deliveries SET status = 'pending', failures = 0, next_attempt_at = ?,
		lease_owner = '', lease_until = NULL, updated_at = ? WHERE event_id = ?`, micros(now), micros(now), eventID)
	if err == nil && n == 0 {
		err = payment.ErrNotFound
	}
	return err
}

const attemptCols = `id, event_id, attempt, url, at, status_code, latency_us, error, response`

func scanAttempt(s scanner) (*payment.DeliveryAttempt, error) {
	var a payment.DeliveryAttempt
	var at, latency int64
	err := s.Scan(&a.ID, &a.EventID, &a.Attempt, &a.URL, &at, &a.StatusCode, &latency, &a.Error, &a.Response)
	if err != nil {
		return nil, translate(err)
	}
	a.At, a.Latency = fromMicros(at), time.Duration(latency)*time.Microsecond
	return &a, nil
}

// InsertDeliveryAttempt records an attempt and sets a.ID; the latency is kept in microseconds.
func (q *queries) InsertDeliveryAttempt(ctx context.Context, a *payment.DeliveryAttempt) error {
	id, err := q.insert(ctx, `INSERT INTO delivery_attempts (event_id, attempt, url, at, status_code, latency_us,
		error, response) VALUES (?,?,?,?,?,?,?,?)`,
		a.EventID, a.Attempt, a.URL, micros(a.At), a.StatusCode, a.Latency.Microseconds(), a.Error, a.Response)
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// ListDeliveryAttempts returns an event's attempts, oldest first.
func (q *queries) ListDeliveryAttempts(ctx context.Context, eventID string) ([]*payment.DeliveryAttempt, error) {
	return list(ctx, q, scanAttempt, `SELECT `+attemptCols+` FROM delivery_attempts WHERE event_id = ? ORDER BY id`, eventID)
}
