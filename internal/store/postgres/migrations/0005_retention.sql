-- Retention (docs/decisions.md, "Retention"): the purge deletes audit rows older than
-- retention.audit in small batches, oldest first, through these indexes on their times.
-- Orders, refunds and events are never deleted. The SQLite store's 0005.

CREATE INDEX IF NOT EXISTS notifications_received_at ON notifications (received_at, id);
CREATE INDEX IF NOT EXISTS channel_calls_created_at ON channel_calls (created_at, id);
CREATE INDEX IF NOT EXISTS delivery_attempts_at ON delivery_attempts (at, id);
