-- Webhook delivery state of every outbox event, and every attempt (docs/decisions.md, Reconciler and webhooks).

CREATE TABLE deliveries (
    event_id        TEXT    PRIMARY KEY REFERENCES events (id),
    status          TEXT    NOT NULL,           -- pending, delivered, dead, no_endpoint
    attempts        INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0, -- since the event or its last resend
    next_attempt_at INTEGER,                    -- pending only: due time or lease end
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    delivered_at    INTEGER,
    updated_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Claims read only the due rows through this index; NULL (not pending) is skipped.
CREATE INDEX deliveries_next_attempt_at ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- The delivery is created by the same INSERT statement as its event, so no code path can
-- write an event without one.
CREATE TRIGGER events_delivery AFTER INSERT ON events BEGIN
    INSERT INTO deliveries (event_id, status, next_attempt_at, updated_at)
    VALUES (NEW.id, 'pending', NEW.created_at, NEW.created_at);
END;

-- Events written before this migration were never delivered: deliver them now.
INSERT INTO deliveries (event_id, status, next_attempt_at, updated_at)
SELECT id, 'pending', created_at, created_at FROM events;

CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL REFERENCES events (id),
    attempt     INTEGER NOT NULL,
    url         TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    latency_us  INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    response    TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX delivery_attempts_event_id ON delivery_attempts (event_id, id);

-- Claims of due orders and refunds use orders_next_check_at and refunds_next_check_at (0001).
