-- Cursors of outbox relays (the NATS publisher): how far each has published, and
-- which instance holds the relay's lease.

CREATE TABLE relay_cursors (
    name        TEXT    PRIMARY KEY,
    seq         INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT    NOT NULL DEFAULT '',
    lease_until INTEGER
) STRICT;
