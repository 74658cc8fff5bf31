-- Barcode payment (alipay.trade.pay, docs/decisions.md "Barcode payment: the settle rules"):
-- the SQLite store's 0010.
--
-- kind: 'qr' for the precreate orders every row so far is, 'barcode' for a charge of the
-- buyer's payment code. A barcode order keeps the SHA-256 of the code it charged (never the
-- code: it is a bearer credential for 60 s), so that a repeated charge can be recognised as the
-- same one; its timeout in seconds (its expires_at is the settle deadline); and, when Alipay
-- refused it, Alipay's code, sub code and sub message.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'qr';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS auth_code_sha256 text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS timeout_seconds integer NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS failure_code text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS failure_sub_code text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS failure_reason text NOT NULL DEFAULT '';
