-- Security round 2 (docs/security.md): the SQLite store's 0006.
--
-- Notifications: an unverified one keeps only the first 2 KiB of its body, so each row also
-- records the body's full length in bytes and its SHA-256 (lowercase hex; '' for rows written
-- before this step). The index serves an order's timeline, which lists the verified
-- notifications and only counts the unverified ones.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS raw_length integer NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS raw_sha256 text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS notifications_trust ON notifications (out_trade_no, verified, id);

-- Rows written before: their length, and the unverified ones cut to their first 2,048
-- characters.
UPDATE notifications SET raw_length = octet_length(raw) WHERE raw_length = 0;
UPDATE notifications SET raw = left(raw, 2048) WHERE NOT verified AND length(raw) > 2048;

-- Clients: the webhook secret (whsec_…), sealed like the API secret, and the previous one
-- while a rotation's grace period runs. Clients created before this step have '' and are
-- given one when it is first needed (docs/decisions.md, "Webhook secrets").
ALTER TABLE clients ADD COLUMN IF NOT EXISTS webhook_secret_sealed text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN IF NOT EXISTS prev_webhook_secret_sealed text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN IF NOT EXISTS prev_webhook_secret_until timestamptz;
