-- Reconciliation against Alipay's daily trade bill: the SQLite store's 0007 (runs,
-- discrepancies with their state, the daily job's claim of each day). bill_date is
-- YYYY-MM-DD in Beijing time. Idempotent like 0002.

CREATE TABLE IF NOT EXISTS reconciliation_runs (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bill_date      text        NOT NULL,
    triggered_by   text        NOT NULL,            -- schedule, cli, console
    source         text        NOT NULL,            -- alipay (downloaded), file (by hand)
    status         text        NOT NULL,            -- completed, not_ready, failed
    note           text        NOT NULL DEFAULT '',
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL,
    totals         text        NOT NULL DEFAULT '{}', -- JSON: the books', the bill's and its summary's
    found_count    integer     NOT NULL DEFAULT 0,
    resolved_count integer     NOT NULL DEFAULT 0,
    open_count     integer     NOT NULL DEFAULT 0
);

CREATE INDEX IF NOT EXISTS reconciliation_runs_bill_date ON reconciliation_runs (bill_date, id);

-- One row per (day, kind, ref): a re-run of the day updates it, never adds a second.
CREATE TABLE IF NOT EXISTS reconciliation_discrepancies (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bill_date    text        NOT NULL,
    kind         text        NOT NULL,
    ref          text        NOT NULL,
    out_trade_no text        NOT NULL DEFAULT '',
    refund_no    text        NOT NULL DEFAULT '',
    trade_no     text        NOT NULL DEFAULT '',
    ours         bigint      NOT NULL DEFAULT 0,   -- fen
    alipay       bigint      NOT NULL DEFAULT 0,   -- fen
    detail       text        NOT NULL DEFAULT '',
    state        text        NOT NULL,            -- open, resolved, acknowledged
    note         text        NOT NULL DEFAULT '',
    first_run_id bigint      NOT NULL,
    last_run_id  bigint      NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    closed_at    timestamptz,
    version      bigint      NOT NULL DEFAULT 1,
    UNIQUE (bill_date, kind, ref)
);

-- The metric and the console count and list the open ones by state.
CREATE INDEX IF NOT EXISTS reconciliation_discrepancies_state ON reconciliation_discrepancies (state, bill_date);
CREATE INDEX IF NOT EXISTS reconciliation_discrepancies_last_run ON reconciliation_discrepancies (last_run_id);

-- The daily job's claim of a day, so that one instance of several reconciles it:
-- next_attempt_at is the retry time or the end of the current lease; NULL once done.
CREATE TABLE IF NOT EXISTS reconciliation_schedule (
    bill_date       text        PRIMARY KEY,
    next_attempt_at timestamptz,
    lease_owner     text        NOT NULL DEFAULT '',
    attempts        integer     NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL
);

-- A day's books: payments by paid_at, refunds by succeeded_at (also the finance export).
CREATE INDEX IF NOT EXISTS orders_paid_at ON orders (paid_at);
CREATE INDEX IF NOT EXISTS refunds_succeeded_at ON refunds (succeeded_at);
