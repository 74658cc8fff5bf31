-- Webhook delivery state of every outbox event, and every attempt: the SQLite store's 0002.
--
-- Every statement is idempotent: a database made before the migrations were numbered alike
-- got these tables from its all-in-one 0001, and meets this file with them in place.

CREATE TABLE IF NOT EXISTS deliveries (
    event_id        text        PRIMARY KEY REFERENCES events (id),
    status          text        NOT NULL,           -- pending, delivered, dead, no_endpoint
    attempts        integer     NOT NULL DEFAULT 0,
    failures        integer     NOT NULL DEFAULT 0, -- since the event or its last resend
    next_attempt_at timestamptz,                    -- pending only: due time or lease end
    lease_owner     text        NOT NULL DEFAULT '',
    lease_until     timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    delivered_at    timestamptz,
    updated_at      timestamptz NOT NULL
);

-- Claims read only the due rows through this index; NULL (not pending) is skipped.
CREATE INDEX IF NOT EXISTS deliveries_next_attempt_at ON deliveries (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;

-- The delivery is created by the same INSERT statement as its event, so no code path can
-- write an event without one.
CREATE OR REPLACE FUNCTION events_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deliveries (event_id, status, next_attempt_at, updated_at)
    VALUES (NEW.id, 'pending', NEW.created_at, NEW.created_at);
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS events_delivery ON events;
CREATE TRIGGER events_delivery AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_delivery();

-- Events written before this migration were never delivered: deliver them now.
INSERT INTO deliveries (event_id, status, next_attempt_at, updated_at)
SELECT id, 'pending', created_at, created_at FROM events
ON CONFLICT (event_id) DO NOTHING;

CREATE TABLE IF NOT EXISTS delivery_attempts (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    text        NOT NULL REFERENCES events (id),
    attempt     integer     NOT NULL,
    url         text        NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    status_code integer     NOT NULL DEFAULT 0,
    latency_us  bigint      NOT NULL DEFAULT 0,
    error       text        NOT NULL DEFAULT '',
    response    text        NOT NULL DEFAULT ''
);

CREATE INDEX IF NOT EXISTS delivery_attempts_event_id ON delivery_attempts (event_id, id);
