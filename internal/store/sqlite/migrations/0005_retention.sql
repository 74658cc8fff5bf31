-- Retention (docs/decisions.md, "Retention"): the purge deletes audit rows older than
-- retention.audit in small batches, oldest first, through these indexes on their times.
-- Orders, refunds and events are never deleted. Incremental auto-vacuum is set on the file
-- when the store opens (sqlite.go), since it cannot change inside a transaction.

CREATE INDEX notifications_received_at ON notifications (received_at, id);
CREATE INDEX channel_calls_created_at ON channel_calls (created_at, id);
CREATE INDEX delivery_attempts_at ON delivery_attempts (at, id);
