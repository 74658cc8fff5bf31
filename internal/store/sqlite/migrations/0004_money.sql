-- Money safety (docs/decisions.md, "A refund with an unknown answer" and "Store, terminal and
-- operator"): when a refund was last sent to Alipay, so that only a refund query asked long
-- enough after it may fail it; and the till fields an order passes to alipay.trade.precreate.

ALTER TABLE refunds ADD COLUMN attempted_at INTEGER;

ALTER TABLE orders ADD COLUMN store_id TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN terminal_id TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN operator_id TEXT NOT NULL DEFAULT '';
