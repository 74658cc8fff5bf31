-- f2fpay on PostgreSQL: the schema of the SQLite store's 0001 and 0002 in one step.
-- Money is bigint fen; times are timestamptz at microsecond precision (NULL = not set).

CREATE TABLE clients (
    app_id             text             PRIMARY KEY,
    name               text             NOT NULL,
    secret_sealed      text             NOT NULL,
    prev_secret_sealed text             NOT NULL DEFAULT '',
    prev_secret_until  timestamptz,
    notify_url         text             NOT NULL DEFAULT '',
    disabled           boolean          NOT NULL DEFAULT false,
    rate_limit         double precision NOT NULL DEFAULT 0,
    rate_burst         integer          NOT NULL DEFAULT 0,
    created_at         timestamptz      NOT NULL,
    updated_at         timestamptz      NOT NULL
);

CREATE TABLE nonces (
    app_id     text        NOT NULL,
    nonce      text        NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (app_id, nonce)
);

CREATE INDEX nonces_expires_at ON nonces (expires_at);

-- Identity columns never hand out an id twice, so a listing cursor stays valid.
CREATE TABLE orders (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id       text        NOT NULL,
    out_trade_no    text        NOT NULL UNIQUE,
    total_amount    bigint      NOT NULL,
    subject         text        NOT NULL,
    body            text        NOT NULL DEFAULT '',
    status          text        NOT NULL,
    trade_no        text        NOT NULL DEFAULT '',
    buyer_logon_id  text        NOT NULL DEFAULT '',
    buyer_id        text        NOT NULL DEFAULT '',
    qr_code         text        NOT NULL DEFAULT '',
    cashier_token   text        NOT NULL UNIQUE,
    notify_url      text        NOT NULL DEFAULT '',
    metadata        text        NOT NULL DEFAULT 'null', -- JSON object, kept byte for byte
    refunded_amount bigint      NOT NULL DEFAULT 0,
    timeout_minutes integer     NOT NULL DEFAULT 0,
    late            boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    paid_at         timestamptz,
    closed_at       timestamptz,
    notified        boolean     NOT NULL DEFAULT false,
    next_check_at   timestamptz,
    check_count     integer     NOT NULL DEFAULT 0,
    version         bigint      NOT NULL DEFAULT 1
);

CREATE INDEX orders_next_check_at ON orders (next_check_at, id) WHERE next_check_at IS NOT NULL;
CREATE INDEX orders_client_id ON orders (client_id, id);
CREATE INDEX orders_trade_no ON orders (trade_no);
CREATE INDEX orders_created_at ON orders (created_at);

CREATE TABLE refunds (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id      text        NOT NULL,
    out_trade_no   text        NOT NULL REFERENCES orders (out_trade_no),
    refund_no      text        NOT NULL,
    amount         bigint      NOT NULL,
    reason         text        NOT NULL DEFAULT '',
    status         text        NOT NULL,
    failure_reason text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    succeeded_at   timestamptz,
    next_check_at  timestamptz,
    check_count    integer     NOT NULL DEFAULT 0,
    version        bigint      NOT NULL DEFAULT 1,
    UNIQUE (out_trade_no, refund_no)
);

CREATE INDEX refunds_next_check_at ON refunds (next_check_at, id) WHERE next_check_at IS NOT NULL;

-- The outbox. seq is the merchant's `after` cursor: InsertEvent takes a transaction-level
-- advisory lock before drawing it, so seq order is commit order and a reader never sees
-- seq N+1 before seq N.
CREATE TABLE events (
    seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text        NOT NULL UNIQUE,
    key          text        NOT NULL UNIQUE,
    type         text        NOT NULL,
    client_id    text        NOT NULL,
    out_trade_no text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    data         text        NOT NULL DEFAULT '' -- JSON, kept byte for byte (webhook bodies)
);

CREATE INDEX events_client_id ON events (client_id, seq);
CREATE INDEX events_out_trade_no ON events (out_trade_no, seq);

CREATE TABLE deliveries (
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

CREATE INDEX deliveries_next_attempt_at ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- The delivery is created by the same INSERT statement as its event, so no code path can
-- write an event without one.
CREATE FUNCTION events_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deliveries (event_id, status, next_attempt_at, updated_at)
    VALUES (NEW.id, 'pending', NEW.created_at, NEW.created_at);
    RETURN NEW;
END $$;

CREATE TRIGGER events_delivery AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_delivery();

CREATE TABLE delivery_attempts (
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

CREATE INDEX delivery_attempts_event_id ON delivery_attempts (event_id, id);

-- Audit of every POST /notify/alipay, accepted or not.
CREATE TABLE notifications (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  timestamptz NOT NULL,
    remote_addr  text        NOT NULL DEFAULT '',
    notify_id    text        NOT NULL DEFAULT '',
    out_trade_no text        NOT NULL DEFAULT '',
    trade_status text        NOT NULL DEFAULT '',
    raw          text        NOT NULL,
    verified     boolean     NOT NULL DEFAULT false,
    outcome      text        NOT NULL DEFAULT ''
);

CREATE INDEX notifications_out_trade_no ON notifications (out_trade_no, id);

CREATE TABLE channel_calls (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    out_trade_no text        NOT NULL DEFAULT '',
    method       text        NOT NULL,
    request      text        NOT NULL DEFAULT '',
    response     text        NOT NULL DEFAULT '',
    outcome      text        NOT NULL DEFAULT '',
    duration_ns  bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL
);

CREATE INDEX channel_calls_out_trade_no ON channel_calls (out_trade_no, id);

-- Cursors of outbox relays (the NATS publisher): how far each has published, and which
-- instance holds the relay's lease.
CREATE TABLE relay_cursors (
    name        text        PRIMARY KEY,
    seq         bigint      NOT NULL DEFAULT 0,
    lease_owner text        NOT NULL DEFAULT '',
    lease_until timestamptz
);
