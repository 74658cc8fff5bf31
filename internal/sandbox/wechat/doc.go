// Package wechat is an offline WeChat Pay APIv3 gateway for Native payments, faithful
// enough that a request built exactly as WeChat Pay's official SDKs build it is accepted,
// plus a simulated buyer, encrypted and signed notifications, and fault injection. It is
// the WeChat half of the sandbox; the Alipay half is package sandbox, whose control API it
// mirrors. It uses package wechatpay for the cryptographic primitives only; that package is
// itself tested against WeChat Pay's published vectors.
//
// Use: s, err := wechat.New(cfg); mount s (an http.Handler) so that it sees paths starting
// with /sandbox/wechat/; call s.Close() on shutdown. A client's gateway base URL is
// {base}/sandbox/wechat, so that its /v3/… paths land on the routes below.
//
// # Routes
//
//	POST /sandbox/wechat/v3/pay/transactions/native                 Native order → 200 {"code_url"}
//	GET  /sandbox/wechat/v3/pay/transactions/out-trade-no/{no}?mchid= query → 200 transaction
//	POST /sandbox/wechat/v3/pay/transactions/out-trade-no/{no}/close  {"mchid"} → 204
//	POST /sandbox/wechat/v3/refund/domestic/refunds                  refund → 200 refund (PROCESSING)
//	GET  /sandbox/wechat/v3/refund/domestic/refunds/{out_refund_no}   refund query → 200 refund
//	GET  /sandbox/wechat/scan/{pr}                    the buyer's payment sheet for code_url weixin://wxpay/bizpayurl?pr={pr}
//	POST /sandbox/wechat/scan/{pr}                    form outcome=success|insufficient_balance|cancel
//	GET  /sandbox/wechat/api/platform-public-key      the platform public key (PEM); Wechatpay-Serial header = its PUB_KEY_ID_…
//	POST /sandbox/wechat/api/merchants                {"mchid","serial_no","public_key","api_v3_key"} → 201 with
//	                                                  "platform_public_key" and "platform_public_key_id"; public_key may
//	                                                  be the merchant API certificate (serial_no then defaults to its serial)
//	POST /sandbox/wechat/api/pay                      {"code_url"} or {"pr"} or {"mchid","out_trade_no"}, "outcome"
//	                                                  (success default, cancel, insufficient_balance), "openid"? → 200 Trade
//	POST /sandbox/wechat/api/refund                   {"mchid","out_trade_no","refund","out_refund_no"?,"reason"?}:
//	                                                  a refund made on the merchant platform → 200 Refund
//	GET|POST|DELETE /sandbox/wechat/api/faults        read / set / clear the fault knobs (Faults as JSON)
//	GET  /sandbox/wechat/api/trades                   ?mchid=&out_trade_no= → {"trades":[Trade…]}
//	GET  /sandbox/wechat/api/notifications            ?out_trade_no= → {"notifications":[NotifyAttempt…]}
//
// Control-API errors are {"error":{"message":…}} with 400 (bad input), 404 (unknown order),
// 409 (the order's state forbids it) or 410 (the order expired).
//
// # APIv3 behaviour
//
// Every /v3 request must carry Authorization: WECHATPAY2-SHA256-RSA2048 mchid, nonce_str,
// timestamp, serial_no, signature (any order) from a registered merchant whose certificate
// serial it names, with a timestamp within 5 minutes, signed SHA256withRSA over
// "METHOD\nURL\ntimestamp\nnonce\nbody\n" where URL is the request line's target exactly as
// sent (a client whose gateway is …/sandbox/wechat signs that prefix), or that target without
// /sandbox/wechat: the official SDKs hard-code WeChat Pay's host and sign /v3/…, so a transport
// that redirects them here adds the prefix after signing. Failures answer 401 SIGN_ERROR without
// a signature, as WeChat Pay does. Everything else is answered with {"code","message"} on
// error and signed with the platform key: Wechatpay-Timestamp, -Nonce, -Signature over
// "timestamp\nnonce\nbody\n", -Serial (the PUB_KEY_ID_…), -Signature-Type, and Request-ID.
// Accept is not checked (the Go SDK sends */*); POSTs must be application/json.
//
//	Native order:  PARAM_ERROR 400 (missing or malformed field), INVALID_REQUEST 400 (mchid is not
//	               the caller's, time_expire past), ORDERPAID 400 (already paid), ORDER_CLOSED 400,
//	               OUT_TRADE_NO_USED 403 (same out_trade_no, different appid, description, amount or
//	               attach); the same parameters again → the same code_url.
//	query:         ORDER_NOT_EXIST 404. close: ORDER_NOT_EXIST 404, ORDERPAID 400; closing a
//	               closed order → 204 again.
//	refund:        RESOURCE_NOT_EXISTS 404 (no such order, or not paid), INVALID_REQUEST 400
//	               (amount.total is not the order's, more than the refundable rest, 50 refunds,
//	               out_refund_no reused with other parameters); the same out_refund_no with the
//	               same order and amounts → the same refund. A refund answers PROCESSING and
//	               becomes SUCCESS after RefundSettle / TimeScale, notified REFUND.SUCCESS.
//	refund query:  RESOURCE_NOT_EXISTS 404.
//
// Orders expire at time_expire (default 2 h), the remaining time divided by TimeScale; an
// expired order queries CLOSED, without notification, and its code_url can no longer be paid.
//
// # Notifications
//
// TRANSACTION.SUCCESS when the buyer pays (to the order's notify_url), REFUND.SUCCESS when a
// refund settles (to the refund's notify_url, else the order's). Each is POSTed as APIv3's
// envelope with the resource sealed by AEAD_AES_256_GCM under the merchant's APIv3 key, and
// signed with fresh Wechatpay-* headers on every attempt; the id and body stay the same.
// Success is HTTP 200 or 204, whatever the body. Retries after 15 s, 15 s, 30 s, 3 m, 10 m,
// 20 m, 30 m, 30 m, 30 m, 60 m, 3 h, 3 h, 3 h, 6 h, 6 h (divided by TimeScale): 16 attempts.
//
// # Faults
//
// The Alipay simulator's knobs, with WeChat Pay's answers. Rates are probabilities in 0..1
// drawn from one PRNG seeded by seed (0 = random, reported back); a knob at 0 draws nothing.
//
//	seed                          PRNG seed
//	notify_drop                   an attempt is not sent (recorded as dropped, retried on schedule)
//	notify_duplicate              an attempt is sent twice
//	notify_delay_ms               added before every attempt
//	notify_bad_sign               an attempt carries a corrupted Wechatpay-Signature
//	notify_reorder                a new notification is held back 1 s so later ones overtake it
//	notify_states                 {"REFUND.SUCCESS":false,…}: switch event types off (all on by default)
//	gateway_reject                the call is NOT applied; answered gateway_reject_code (default
//	                              FREQUENCY_LIMITED) with gateway_reject_status (default: the code's
//	                              documented status, e.g. NOT_ENOUGH 403), signed
//	gateway_system_error          the call is NOT applied; a fair coin answers a signed 500 SYSTEM_ERROR
//	                              or an unsigned 502 HTML page from the front end
//	gateway_system_error_applied  the call IS applied, then answered 500 SYSTEM_ERROR
//	gateway_timeout               the call IS applied, then the connection is held until the client
//	                              gives up (at most 60 s) and dropped
//	gateway_latency_ms            delay before each call
//	methods                       restrict the gateway faults to native, query, close, refund, refund_query
//
// # State
//
// With DataDir the platform key (wechat_platform_key.pem) and the merchants
// (wechat_merchants.json, APIv3 keys included: it is a sandbox) survive a restart; orders
// and refunds live in memory.
package wechat
