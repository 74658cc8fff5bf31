-- Cursors of outbox relays (the NATS publisher): how far each has published, and which
-- instance holds the relay's lease. The SQLite store's 0003; idempotent like 0002.

CREATE TABLE IF NOT EXISTS relay_cursors (
    name        text        PRIMARY KEY,
    seq         bigint      NOT NULL DEFAULT 0,
    lease_owner text        NOT NULL DEFAULT '',
    lease_until timestamptz
);
