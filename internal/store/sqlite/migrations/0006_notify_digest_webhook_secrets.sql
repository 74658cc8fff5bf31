-- Security round 2 (docs/security.md).
--
-- Notifications: an unverified one keeps only the first 2 KiB of its body, so each row also
-- records the body's full length in bytes and its SHA-256 (lowercase hex; '' for rows written
-- before this step). The index serves an order's timeline, which lists the verified
-- notifications and only counts the unverified ones.
ALTER TABLE notifications ADD COLUMN raw_length INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN raw_sha256 TEXT NOT NULL DEFAULT '';
CREATE INDEX notifications_trust ON notifications (out_trade_no, verified, id);

-- Rows written before: their length, and the unverified ones cut to their first 2,048
-- characters (the right-hand sides read the row as it was).
UPDATE notifications SET raw_length = length(CAST(raw AS BLOB)) WHERE raw_length = 0;
UPDATE notifications SET raw = substr(raw, 1, 2048) WHERE verified = 0 AND length(raw) > 2048;

-- Clients: the webhook secret (whsec_…), sealed like the API secret, and the previous one
-- while a rotation's grace period runs. Clients created before this step have '' and are
-- given one when it is first needed (docs/decisions.md, "Webhook secrets").
ALTER TABLE clients ADD COLUMN webhook_secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN prev_webhook_secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN prev_webhook_secret_until INTEGER;
