-- Alipay public-key certificates that certificate mode downloaded and found to chain to the
-- configured root, by SN, so that every instance trusts a renewed certificate after one
-- download (docs/decisions.md, "Alipay channel"). The channel checks each row again when it
-- reads it: this table is a cache, not a trust anchor.

CREATE TABLE alipay_certs (
    sn         TEXT    PRIMARY KEY,
    cert_pem   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
