// Package wechatpay speaks WeChat Pay APIv3 for Native payments (the buyer scans the
// merchant's code_url) with the standard library only: request signing, answer and
// notification verification, AES-256-GCM resource decryption, the Native order, query,
// close, refund and refund query. Amounts are integer fen (payment.Amount), as APIv3 writes
// them. docs/decisions.md ("WeChat Pay") says why APIv3 and not the legacy v2 API.
//
// # Signatures
//
// A request carries
//
//	Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"
//
// where signature is base64 SHA256withRSA, with the merchant API private key, over
// "METHOD\nURL\ntimestamp\nnonce\nbody\n" (URL = path and query as sent, body = the exact
// JSON, empty for GET). WeChat Pay signs every answer it gives an authenticated request, and
// every notification, over "timestamp\nnonce\nbody\n" with the headers Wechatpay-Timestamp,
// -Nonce, -Signature and -Serial. Wechatpay-Serial names the key: the WeChat Pay public key
// by its PUB_KEY_ID_… (public-key mode) or a platform certificate by its serial. A timestamp
// more than 5 minutes from now is refused either way. A 2xx answer must verify; an error
// answer that carries a signature must verify; an unsigned error answer is read as what it
// says (WeChat Pay does not sign 401 SIGN_ERROR, nor do its front ends sign a 5xx). An answer
// that fails verification is an unknown outcome, logged at error level.
//
// # Errors
//
// Every call returns nil or an *Error with Outcome rejected (nothing was done; repeating
// changes nothing) or unknown (it may have been done; query, or repeat with the same
// out_trade_no / out_refund_no, which WeChat Pay applies once). ToPayment folds them into
// UPSTREAM_REJECTED and UPSTREAM_UNAVAILABLE. Error answers are {"code","message"} with an
// HTTP status; the code decides first, then the status class:
//
//	code                                   status  outcome   why
//	SYSTEM_ERROR, BANK_ERROR               500     unknown   documented: "retry with the same parameters"
//	FREQUENCY_LIMITED, RATELIMIT_EXCEEDED  429     unknown   for refunds documented as "acceptance unclear, query first"
//	SERVICE_UNAVAILABLE                    502/503 unknown   front end overloaded or offline
//	USER_PAYING                            202     unknown   payment-code trades only; the buyer is still paying
//	PARAM_ERROR, INVALID_REQUEST           400     rejected  malformed, or against a business rule (amount over refundable…)
//	APPID_MCHID_NOT_MATCH, MCH_NOT_EXISTS  400     rejected  configuration
//	ORDER_CLOSED, ORDERPAID                400     rejected  the order's state forbids it
//	SIGN_ERROR                             401     rejected  our signature was refused; nothing was done
//	NO_AUTH, NOT_ENOUGH, OUT_TRADE_NO_USED 403     rejected  no permission, merchant balance short, out_trade_no reused with other parameters
//	RULE_LIMIT, TRADE_ERROR, ACCOUNT_ERROR 403     rejected  business rules
//	USER_ACCOUNT_ABNORMAL, REQUEST_BLOCKED 403     rejected  refund refused (buyer account closed, risk control)
//	ORDER_NOT_EXIST, RESOURCE_NOT_EXISTS   404     rejected  no such order (unpaid orders cannot be refunded) or refund
//	INVALID_TRANSACTIONID, OPENID_MISMATCH 500     rejected  despite the 500 these are parameter errors
//	any other code                         4xx     rejected
//	any other code                         5xx     unknown
//	(no answer: timeout, reset, refused)   -       unknown
//	(answer fails signature verification)  any     unknown
//	(2xx whose body is not the expected JSON, or about another order) unknown
//
// Input this package can see is wrong (a malformed out_trade_no, amount < 1 fen) is rejected
// before anything is sent ("not sent: …" in the message).
//
// # States
//
// Trade states (TradeState): SUCCESS paid; REFUND paid, then refunded (partly or fully);
// NOTPAY not paid yet; CLOSED closed, can no longer be paid; REVOKED, USERPAYING and PAYERROR
// occur only for payment-code trades. Refund statuses (RefundStatus): SUCCESS the money is
// back with the buyer; PROCESSING accepted, not settled (the usual answer to a refund);
// CLOSED closed without moving money; ABNORMAL the buyer's card refused the refund, which the
// merchant must settle by hand on the merchant platform.
//
// # Notifications
//
// POSTed JSON: {id, create_time, event_type, resource_type:"encrypt-resource", summary,
// resource:{original_type, algorithm:"AEAD_AES_256_GCM", ciphertext, associated_data, nonce}}.
// The ciphertext is AES-256-GCM with the 32-byte APIv3 key as key, the 12-byte nonce as IV and
// associated_data authenticated; its plaintext is a transaction (TRANSACTION.SUCCESS) or a
// refund (REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED). The receiver answers 200 or 204 to
// acknowledge; anything else (WriteNotifyAnswer writes 500 {"code":"FAIL",…}) makes WeChat
// Pay retry after 15 s, 15 s, 30 s, 3 m, 10 m, 20 m, 30 m, 30 m, 30 m, 60 m, 3 h, 3 h, 3 h, 6 h
// and 6 h. Retries repeat the id and body with a fresh signature. WeChat Pay also sends
// probes whose Wechatpay-Signature starts with "WECHATPAY/SIGNTEST/": they never verify, as
// intended.
package wechatpay
