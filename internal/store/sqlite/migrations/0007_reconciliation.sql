-- Reconciliation against Alipay's daily trade bill (docs/decisions.md, "Reconciliation"):
-- every run, every discrepancy with its state, and the daily job's claim of each day.
-- bill_date is YYYY-MM-DD in Beijing time.

CREATE TABLE reconciliation_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    bill_date      TEXT    NOT NULL,
    triggered_by   TEXT    NOT NULL,            -- schedule, cli, console
    source         TEXT    NOT NULL,            -- alipay (downloaded), file (by hand)
    status         TEXT    NOT NULL,            -- completed, not_ready, failed
    note           TEXT    NOT NULL DEFAULT '',
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER NOT NULL,
    totals         TEXT    NOT NULL DEFAULT '{}', -- JSON: the books', the bill's and its summary's
    found_count    INTEGER NOT NULL DEFAULT 0,
    resolved_count INTEGER NOT NULL DEFAULT 0,
    open_count     INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX reconciliation_runs_bill_date ON reconciliation_runs (bill_date, id);

-- One row per (day, kind, ref): a re-run of the day updates it, never adds a second.
CREATE TABLE reconciliation_discrepancies (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    bill_date    TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    ref          TEXT    NOT NULL,
    out_trade_no TEXT    NOT NULL DEFAULT '',
    refund_no    TEXT    NOT NULL DEFAULT '',
    trade_no     TEXT    NOT NULL DEFAULT '',
    ours         INTEGER NOT NULL DEFAULT 0,   -- fen
    alipay       INTEGER NOT NULL DEFAULT 0,   -- fen
    detail       TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL,            -- open, resolved, acknowledged
    note         TEXT    NOT NULL DEFAULT '',
    first_run_id INTEGER NOT NULL,
    last_run_id  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    closed_at    INTEGER,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (bill_date, kind, ref)
) STRICT;

-- The metric and the console count and list the open ones by state.
CREATE INDEX reconciliation_discrepancies_state ON reconciliation_discrepancies (state, bill_date);
CREATE INDEX reconciliation_discrepancies_last_run ON reconciliation_discrepancies (last_run_id);

-- The daily job's claim of a day, so that one instance of several reconciles it:
-- next_attempt_at is the retry time or the end of the current lease; NULL once done.
CREATE TABLE reconciliation_schedule (
    bill_date       TEXT    PRIMARY KEY,
    next_attempt_at INTEGER,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A day's books: payments by paid_at, refunds by succeeded_at (also the finance export).
CREATE INDEX orders_paid_at ON orders (paid_at);
CREATE INDEX refunds_succeeded_at ON refunds (succeeded_at);
