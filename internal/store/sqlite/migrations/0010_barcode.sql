-- Barcode payment (alipay.trade.pay, docs/decisions.md "Barcode payment: the settle rules").
--
-- kind: 'qr' for the precreate orders every row so far is, 'barcode' for a charge of the
-- buyer's payment code. A barcode order keeps the SHA-256 of the code it charged (never the
-- code: it is a bearer credential for 60 s), so that a repeated charge can be recognised as the
-- same one; its timeout in seconds (its expires_at is the settle deadline); and, when Alipay
-- refused it, Alipay's code, sub code and sub message.
ALTER TABLE orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'qr';
ALTER TABLE orders ADD COLUMN auth_code_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN timeout_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN failure_code TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN failure_sub_code TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN failure_reason TEXT NOT NULL DEFAULT '';
