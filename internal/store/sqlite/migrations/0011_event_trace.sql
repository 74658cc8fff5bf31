-- The W3C traceparent of the change that wrote an event, so that its webhooks, sent later by
-- the dispatcher, join that trace and carry it to the merchant (docs/decisions.md,
-- "Tracing"). '' for an event written outside a trace, and for the events before it.

ALTER TABLE events ADD COLUMN trace_parent TEXT NOT NULL DEFAULT '';
