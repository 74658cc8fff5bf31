-- Money is INTEGER fen; times are INTEGER unix microseconds UTC (NULL for "not set").

CREATE TABLE clients (
    app_id             TEXT    PRIMARY KEY,
    name               TEXT    NOT NULL,
    secret_sealed      TEXT    NOT NULL,
    prev_secret_sealed TEXT    NOT NULL DEFAULT '',
    prev_secret_until  INTEGER,
    notify_url         TEXT    NOT NULL DEFAULT '',
    disabled           INTEGER NOT NULL DEFAULT 0,
    rate_limit         REAL    NOT NULL DEFAULT 0,
    rate_burst         INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
) STRICT;

CREATE TABLE nonces (
    app_id     TEXT    NOT NULL,
    nonce      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, nonce)
) STRICT, WITHOUT ROWID;

CREATE INDEX nonces_expires_at ON nonces (expires_at);

-- AUTOINCREMENT: an id is never reused, so a listing cursor stays valid.
CREATE TABLE orders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT    NOT NULL,
    out_trade_no    TEXT    NOT NULL UNIQUE,
    total_amount    INTEGER NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL,
    trade_no        TEXT    NOT NULL DEFAULT '',
    buyer_logon_id  TEXT    NOT NULL DEFAULT '',
    buyer_id        TEXT    NOT NULL DEFAULT '',
    qr_code         TEXT    NOT NULL DEFAULT '',
    cashier_token   TEXT    NOT NULL,
    notify_url      TEXT    NOT NULL DEFAULT '',
    metadata        TEXT    NOT NULL DEFAULT 'null', -- JSON object
    refunded_amount INTEGER NOT NULL DEFAULT 0,
    timeout_minutes INTEGER NOT NULL DEFAULT 0,
    late            INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    paid_at         INTEGER,
    closed_at       INTEGER,
    notified        INTEGER NOT NULL DEFAULT 0,
    next_check_at   INTEGER,
    check_count     INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE UNIQUE INDEX orders_cashier_token ON orders (cashier_token);
CREATE INDEX orders_next_check_at ON orders (next_check_at);
CREATE INDEX orders_client_id ON orders (client_id, id);
CREATE INDEX orders_trade_no ON orders (trade_no);
CREATE INDEX orders_created_at ON orders (created_at);

CREATE TABLE refunds (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id      TEXT    NOT NULL,
    out_trade_no   TEXT    NOT NULL REFERENCES orders (out_trade_no),
    refund_no      TEXT    NOT NULL,
    amount         INTEGER NOT NULL,
    reason         TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL,
    failure_reason TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    succeeded_at   INTEGER,
    next_check_at  INTEGER,
    check_count    INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (out_trade_no, refund_no)
) STRICT;

CREATE INDEX refunds_next_check_at ON refunds (next_check_at);

-- The outbox: seq is the merchant's `after` cursor and must only grow.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    key          TEXT    NOT NULL UNIQUE,
    type         TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    out_trade_no TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    data         TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX events_client_id ON events (client_id, seq);
CREATE INDEX events_out_trade_no ON events (out_trade_no, seq);

-- Audit of every POST /notify/alipay, accepted or not.
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at  INTEGER NOT NULL,
    remote_addr  TEXT    NOT NULL DEFAULT '',
    notify_id    TEXT    NOT NULL DEFAULT '',
    out_trade_no TEXT    NOT NULL DEFAULT '',
    trade_status TEXT    NOT NULL DEFAULT '',
    raw          TEXT    NOT NULL,
    verified     INTEGER NOT NULL DEFAULT 0,
    outcome      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX notifications_out_trade_no ON notifications (out_trade_no, id);

CREATE TABLE channel_calls (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    out_trade_no TEXT    NOT NULL DEFAULT '',
    method       TEXT    NOT NULL,
    request      TEXT    NOT NULL DEFAULT '',
    response     TEXT    NOT NULL DEFAULT '',
    outcome      TEXT    NOT NULL DEFAULT '',
    duration_ns  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX channel_calls_out_trade_no ON channel_calls (out_trade_no, id);
