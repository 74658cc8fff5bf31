package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

const deliveryCols = `event_id, status, attempts, failures, next_attempt_at, lease_owner, lease_until,
	last_error, delivered_at, updated_at`

func scanDelivery(s scanner) (*payment.Delivery, error) {
	var d payment.Delivery
	var status string
	err := s.Scan(&d.EventID, &status, &d.Attempts, &d.Failures, &d.NextAttemptAt, &d.LeaseOwner, &d.LeaseUntil,
		&d.LastError, &d.DeliveredAt, &d.UpdatedAt)
	if err != nil {
		return nil, translate(err)
	}
	d.Status = payment.DeliveryStatus(status)
	d.NextAttemptAt, d.LeaseUntil, d.DeliveredAt = utcPtr(d.NextAttemptAt), utcPtr(d.LeaseUntil), utcPtr(d.DeliveredAt)
	d.UpdatedAt = utc(d.UpdatedAt)
	return &d, nil
}

// GetDelivery returns the delivery of an event; ErrNotFound when there is none.
func (q *queries) GetDelivery(ctx context.Context, eventID string) (*payment.Delivery, error) {
	return scanDelivery(q.db.QueryRow(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE event_id = $1`, eventID))
}

// ClaimDeliveries leases due pending deliveries in one UPDATE … RETURNING whose subquery
// locks them FOR UPDATE SKIP LOCKED: a concurrent claimer skips the rows this one holds and,
// once it commits, finds them due only at the lease end.
func (q *queries) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*payment.Delivery, error) {
	ds, err := list(ctx, q, scanDelivery, `UPDATE deliveries SET next_attempt_at = $1, lease_owner = $2, lease_until = $1
		WHERE event_id IN (SELECT event_id FROM deliveries
			WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $3 AND status = 'pending'
			ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+deliveryCols,
		leaseUntil, owner, now, limitOr(limit, 100))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ds, func(a, b *payment.Delivery) int { return strings.Compare(a.EventID, b.EventID) })
	return ds, nil
}

// FinishDelivery records the outcome of a claimed delivery while owner holds its lease.
func (q *queries) FinishDelivery(ctx context.Context, d *payment.Delivery, owner string) error {
	n, err := q.exec(ctx, `UPDATE deliveries SET status = $1, attempts = $2, failures = $3, next_attempt_at = $4,
		last_error = $5, delivered_at = $6, updated_at = $7, lease_owner = '', lease_until = NULL
		WHERE event_id = $8 AND lease_owner = $9 AND lease_owner <> ''`,
		string(d.Status), d.Attempts, d.Failures, d.NextAttemptAt, d.LastError, d.DeliveredAt,
		d.UpdatedAt, d.EventID, owner)
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
	n, err := q.exec(ctx, `UPDATE deliveries SET status = 'pending', failures = 0, next_attempt_at = $1,
		lease_owner = '', lease_until = NULL, updated_at = $1 WHERE event_id = $2`, now, eventID)
	if err == nil && n == 0 {
		err = payment.ErrNotFound
	}
	return err
}

const attemptCols = `id, event_id, attempt, url, at, status_code, latency_us, error, response`

func scanAttempt(s scanner) (*payment.DeliveryAttempt, error) {
	var a payment.DeliveryAttempt
	var latency int64
	err := s.Scan(&a.ID, &a.EventID, &a.Attempt, &a.URL, &a.At, &a.StatusCode, &latency, &a.Error, &a.Response)
	if err != nil {
		return nil, translate(err)
	}
	a.At, a.Latency = utc(a.At), time.Duration(latency)*time.Microsecond
	return &a, nil
}

// InsertDeliveryAttempt records an attempt and sets a.ID; the latency is kept in microseconds.
func (q *queries) InsertDeliveryAttempt(ctx context.Context, a *payment.DeliveryAttempt) error {
	id, err := q.insertID(ctx, `INSERT INTO delivery_attempts (event_id, attempt, url, at, status_code, latency_us,
		error, response) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
		a.EventID, a.Attempt, a.URL, a.At, a.StatusCode, a.Latency.Microseconds(), a.Error, a.Response)
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// ListDeliveryAttempts returns an event's attempts, oldest first.
func (q *queries) ListDeliveryAttempts(ctx context.Context, eventID string) ([]*payment.DeliveryAttempt, error) {
	return list(ctx, q, scanAttempt, `SELECT `+attemptCols+` FROM delivery_attempts WHERE event_id = $1 ORDER BY id`, eventID)
}
