-- Money safety (docs/decisions.md, "A refund with an unknown answer" and "Store, terminal and
-- operator"): when a refund was last sent to Alipay, so that only a refund query asked long
-- enough after it may fail it; and the till fields an order passes to alipay.trade.precreate.
-- The SQLite store's 0004.

ALTER TABLE refunds ADD COLUMN attempted_at timestamptz;

ALTER TABLE orders ADD COLUMN store_id text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN terminal_id text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN operator_id text NOT NULL DEFAULT '';
