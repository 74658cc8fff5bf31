package sqlstore

import (
	"context"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const deliveryCols = `event_id, status, attempts, failures, next_attempt_at, lease_owner, lease_until,
	last_error, delivered_at, updated_at`

const attemptCols = `id, event_id, attempt, url, at, status_code, latency_us, error, response`

var (
	stGetDelivery     = define("GetDelivery", `SELECT `+deliveryCols+` FROM deliveries WHERE event_id = ?`)
	stClaimDeliveries = define("ClaimDeliveries", `UPDATE deliveries
		SET next_attempt_at = ?, lease_owner = ?, lease_until = ?
		WHERE event_id IN (SELECT event_id FROM deliveries
			WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? AND status = 'pending'
			ORDER BY next_attempt_at LIMIT ?{skip_locked})
		RETURNING `+deliveryCols)
	stFinishDelivery = define("FinishDelivery", `UPDATE deliveries SET status = ?, attempts = ?,
		failures = ?, next_attempt_at = ?, last_error = ?, delivered_at = ?, updated_at = ?,
		lease_owner = '', lease_until = NULL
		WHERE event_id = ? AND lease_owner = ? AND lease_owner <> ''`)
	stResetDelivery = define("ResetDelivery", `UPDATE deliveries SET status = 'pending', failures = 0,
		next_attempt_at = ?, lease_owner = '', lease_until = NULL, updated_at = ?
		WHERE event_id = ?`)
	stInsertAttempt = define("InsertDeliveryAttempt", `INSERT INTO delivery_attempts (event_id, attempt,
		url, at, status_code, latency_us, error, response)
		VALUES (?,?,?,?,?,?,?,?)
		RETURNING id`)
	stListAttempts = define("ListDeliveryAttempts", `SELECT `+attemptCols+` FROM delivery_attempts
		WHERE event_id = ? ORDER BY id`)
)

func scanDelivery(s scanner) (*payment.Delivery, error) {
	var d payment.Delivery
	err := s.Scan(&d.EventID, &d.Status, &d.Attempts, &d.Failures, tmNull(&d.NextAttemptAt), &d.LeaseOwner,
		tmNull(&d.LeaseUntil), &d.LastError, tmNull(&d.DeliveredAt), tm(&d.UpdatedAt))
	return &d, err
}

// GetDelivery returns the delivery of an event; ErrNotFound when there is none.
func (q *queries) GetDelivery(ctx context.Context, eventID string) (*payment.Delivery, error) {
	return get(ctx, q, scanDelivery, stGetDelivery, eventID)
}

// ClaimDeliveries leases up to limit (default 100) due pending deliveries in one
// UPDATE … RETURNING, returned in event id order. Two claims never overlap: on SQLite the
// statement holds the write lock from its start; on PostgreSQL its subquery locks the rows
// FOR UPDATE SKIP LOCKED, so a concurrent claimer skips them and, once this one commits,
// finds them due only at the lease end.
func (q *queries) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*payment.Delivery, error) {
	ds, err := list(ctx, q, scanDelivery, stClaimDeliveries, leaseUntil, owner, leaseUntil, now,
		limitOr(limit, 100))
	sortBy(ds, func(d *payment.Delivery) string { return d.EventID })
	return ds, err
}

// FinishDelivery records the outcome of a claimed delivery while owner holds its lease.
// ErrStale when the lease was lost, ErrNotFound when there is no such delivery.
func (q *queries) FinishDelivery(ctx context.Context, d *payment.Delivery, owner string) error {
	n, err := q.exec(ctx, stFinishDelivery, d.Status, d.Attempts, d.Failures, d.NextAttemptAt, d.LastError,
		d.DeliveredAt, d.UpdatedAt, d.EventID, owner)
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

// ResetDelivery makes a delivery pending and due at now, with a fresh schedule;
// ErrNotFound when there is no such delivery.
func (q *queries) ResetDelivery(ctx context.Context, eventID string, now time.Time) error {
	n, err := q.exec(ctx, stResetDelivery, now, now, eventID)
	if err == nil && n == 0 {
		err = payment.ErrNotFound
	}
	return err
}

func scanAttempt(s scanner) (*payment.DeliveryAttempt, error) {
	var a payment.DeliveryAttempt
	var latency int64
	err := s.Scan(&a.ID, &a.EventID, &a.Attempt, &a.URL, tm(&a.At), &a.StatusCode, &latency, &a.Error,
		&a.Response)
	a.Latency = time.Duration(latency) * time.Microsecond
	return &a, err
}

// InsertDeliveryAttempt records an attempt and sets a.ID; the latency is kept in microseconds.
func (q *queries) InsertDeliveryAttempt(ctx context.Context, a *payment.DeliveryAttempt) error {
	id, err := q.id(ctx, stInsertAttempt, a.EventID, a.Attempt, a.URL, a.At, a.StatusCode,
		a.Latency.Microseconds(), a.Error, a.Response)
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// ListDeliveryAttempts returns an event's attempts, oldest first.
func (q *queries) ListDeliveryAttempts(ctx context.Context, eventID string) ([]*payment.DeliveryAttempt, error) {
	return list(ctx, q, scanAttempt, stListAttempts, eventID)
}
