// Package sandbox is an offline Alipay OpenAPI 1.0 gateway for Face-to-Face (当面付)
// payments, faithful enough that unmodified SDKs (smartwalle/alipay/v3 in our tests)
// accept it, plus a simulated buyer, asynchronous notifications and fault injection.
// It follows /work/shared/ALIPAY.md Part 1 wherever the real gateway is ambiguous.
//
// Use: s, err := sandbox.New(cfg); mount s (an http.Handler) so that it sees paths
// starting with /sandbox/; call s.Close() on shutdown. Register apps with RegisterApp
// (or POST /sandbox/api/apps) and give SDK clients AlipayPublicKeyPEM().
//
// # Routes
//
//	GET|POST /sandbox/gateway.do          the gateway: alipay.trade.precreate, .query, .close, .cancel,
//	                                      .refund, .fastpay.refund.query, alipay.open.app.alipaycert.download
//	GET|POST /sandbox/v3/alipay/{a}/{b}…  OpenAPI v3: the method alipay.{a}.{b}… of the gateway (v3.go)
//	GET  /sandbox/scan/{code}             buyer page (the QR text); opening it scans the order
//	POST /sandbox/scan/{code}             form outcome=success|insufficient_balance|cancel
//	GET  /sandbox/api/alipay-public-key   the simulator's public key (PEM)
//	POST /sandbox/api/apps                {"app_id","app_public_key"} → 201 {"app_id","seller_id","alipay_public_key"}
//	POST /sandbox/api/certs               {"app_id","app_public_key"} → 201 certificate-mode material and SNs
//	POST /sandbox/api/alipay-cert/rotate  → 201 {"alipay_cert_sn","previous_alipay_cert_sn","alipay_cert"} (certrotate.go)
//	POST /sandbox/api/scan                {"qr_code"} or {"app_id","out_trade_no"}, optional "buyer_logon_id" → trade
//	POST /sandbox/api/pay                 same selector + "outcome" (success default, cancel, insufficient_balance) → trade
//	POST /sandbox/api/finish              {"app_id","out_trade_no"}: end the refund window (TRADE_FINISHED)
//	GET|POST|DELETE /sandbox/api/faults   read / set / clear the fault knobs (Faults as JSON)
//	GET  /sandbox/api/trades              ?app_id=&out_trade_no= → {"trades":[Trade…]}
//	GET  /sandbox/api/notifications       ?out_trade_no= → {"notifications":[NotifyAttempt…]}
//
// Control-API errors are {"error":{"message":…}} with 400 (bad input), 404 (unknown
// QR/trade), 409 (state forbids it) or 410 (QR expired or cancelled).
//
// # Gateway behaviour
//
// Parameters come from the query string and the body (form or multipart) and are
// merged; a key repeated with a different value is refused. Checks, in order:
// method, app_id (unknown → isv.invalid-app-id, before the signature), method known,
// version 1.0, sign_type RSA2|RSA, sign, timestamp (yyyy-MM-dd HH:mm:ss Asia/Shanghai;
// with StrictTimestamp more than 15 min off is refused), charset utf-8, format JSON if
// sent, no encrypt_type, the RSA signature over every non-empty parameter but sign,
// certificate parameters, then biz_content as a JSON object. Every answer is HTTP 200,
// text/html;charset=utf-8, {"<method>_response":{…}[,"alipay_cert_sn":…],"sign":…}
// signed over the node's exact bytes, errors included; alipay_cert_sn appears only
// when the request carried app_cert_sn.
//
// A precreate issues a QR (text {base}/sandbox/scan/{code}); the trade exists only after
// a scan. Repeating precreate with the same amount and subject returns the same QR.
// time_expire / timeout_express (default 3 h) are divided by TimeScale; an unscanned QR
// then dies, a scanned unpaid trade closes (notified). alipay.trade.cancel of an order
// that was never scanned — or never precreated — answers action "close" and makes the
// out_trade_no dead for good. Paid trades can be cancelled (full refund) for 24 h.
//
// # Notifications
//
// POSTed as a UTF-8 form to the precreate's notify_url (or the close/cancel/refund
// request's notify_url), signed RSA2 over every parameter but sign and sign_type, no
// empty values, no alipay_cert_sn, the same notify_id and body on every retry. Success
// is HTTP 200 with body exactly "success". Retries after 4m, 10m, 10m, 1h, 2h, 6h, 15h
// (divided by TimeScale), 8 attempts at most. Kinds and their default switches:
// TRADE_SUCCESS (payment, on), REFUND (partial refund: TRADE_SUCCESS + out_biz_no,
// refund_fee, gmt_refund with milliseconds, on), TRADE_CLOSED (close, cancel, timeout,
// full refund, on), TRADE_FINISHED (FinishTrade, on), WAIT_BUYER_PAY (scan, off).
//
// # Faults
//
// Rates are probabilities in 0..1; one PRNG seeded by seed (0 = random, reported back)
// draws every decision, and a knob at 0 draws nothing, so a sequential run with the
// same seed repeats exactly.
//
//	seed                 PRNG seed
//	notify_drop          an attempt is not sent (recorded as dropped, retried on schedule)
//	notify_duplicate     an attempt is sent twice
//	notify_delay_ms      added before every attempt
//	notify_bad_sign      an attempt carries a corrupted signature
//	notify_reorder       a new notification is held back 1 s so later ones overtake it
//	notify_states        {"WAIT_BUYER_PAY":true,"REFUND":false,…}: switch notification kinds
//	gateway_system_error the call is NOT applied; answers 20000 isp.unknow-error or
//	                     40004 ACQ.SYSTEM_ERROR (a fair coin picks which)
//	gateway_timeout      the call IS applied, then no answer: the connection is held until
//	                     the client gives up (at most 60 s) and dropped
//	gateway_latency_ms   delay before each call
//	methods              restrict the gateway faults to these methods (empty = all)
//
// # State
//
// With DataDir the simulator key (alipay_private_key.pem), the apps with their seller
// ids and certificates (apps.json), the certificate authority (ca.json) and the rotated
// Alipay certificates (alipay_certs.json) survive a restart; trades live in memory and are forgotten 72 h after their last change once
// they are paid, closed or dead.
package sandbox
