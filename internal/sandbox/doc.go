// Package sandbox is an offline Alipay OpenAPI 1.0 gateway for Face-to-Face (当面付)
// payments, both halves (the buyer scans the merchant's QR; the till scans the buyer's
// payment code), faithful enough that unmodified SDKs (smartwalle/alipay/v3 in our tests)
// accept it, plus a simulated buyer, asynchronous notifications, the daily bill and fault
// injection. Where the real gateway is ambiguous it follows docs/decisions.md.
//
// Use: s, err := sandbox.New(cfg); mount s (an http.Handler) so that it sees paths
// starting with /sandbox/; call s.Close() on shutdown. Register apps with RegisterApp
// (or POST /sandbox/api/apps) and give SDK clients AlipayPublicKeyPEM().
//
// # Routes
//
//	GET|POST /sandbox/gateway.do          the gateway: alipay.trade.precreate, .pay, .query, .close, .cancel,
//	                                      .refund, .fastpay.refund.query, alipay.data.dataservice.bill.downloadurl.query,
//	                                      alipay.open.app.alipaycert.download
//	GET|POST /sandbox/v3/alipay/{a}/{b}…  OpenAPI v3: the method alipay.{a}.{b}… of the gateway (v3.go)
//	GET  /sandbox/scan/{code}             buyer page (the QR text); opening it scans the order
//	POST /sandbox/scan/{code}             form outcome=success|insufficient_balance|cancel
//	GET  /sandbox/paycode                 buyer page showing a payment code (?behaviour=pay|password|insufficient_balance)
//	GET  /sandbox/paycode/{code}/barcode.png   that code as a Code 128 barcode
//	POST /sandbox/paycode/{code}/confirm  form outcome=success|cancel: the buyer answers the password prompt
//	GET  /sandbox/api/alipay-public-key   the simulator's public key (PEM)
//	POST /sandbox/api/apps                {"app_id","app_public_key"} → 201 {"app_id","seller_id","alipay_public_key"}
//	POST /sandbox/api/certs               {"app_id","app_public_key"} → 201 certificate-mode material and SNs
//	POST /sandbox/api/alipay-cert/rotate  → 201 {"alipay_cert_sn","previous_alipay_cert_sn","alipay_cert"} (certrotate.go)
//	POST /sandbox/api/scan                {"qr_code"} or {"app_id","out_trade_no"}, optional "buyer_logon_id"/"buyer_id" → trade
//	POST /sandbox/api/pay                 same selector + "outcome" (success default, cancel, insufficient_balance) → trade
//	POST /sandbox/api/finish              {"app_id","out_trade_no"}: end the refund window (TRADE_FINISHED)
//	POST /sandbox/api/refund              {"app_id","out_trade_no","refund_amount","out_request_no"?} → trade: a refund
//	                                      made outside f2fpay (Alipay's merchant portal)
//	POST /sandbox/api/auth-codes          {"behaviour","buyer_logon_id"?} → 201 {"auth_code","behaviour","expires_at"}
//	POST /sandbox/api/auth-codes/{code}/confirm   optional {"outcome":"cancel"} → trade
//	GET  /sandbox/api/bill                ?app_id=&date=yyyy-MM-dd → the day's bill zip (no token needed; the
//	                                      downloadurl link adds expires= and token=)
//	GET|POST|DELETE /sandbox/api/faults   read / set / clear the fault knobs (Faults as JSON)
//	GET  /sandbox/api/trades              ?app_id=&out_trade_no= → {"trades":[Trade…]}
//	GET  /sandbox/api/notifications       ?out_trade_no= → {"notifications":[NotifyAttempt…]}
//
// Control-API errors are {"error":{"message":…[,"sub_code":…]}} with 400 (bad input),
// 404 (unknown QR/trade/code), 409 (state forbids it), 410 (QR expired or cancelled,
// bill link expired), 403 (forged bill link) or 429 (refund too soon, see RefundSpacing);
// sub_code is the Alipay sub code the real gateway would give (ACQ.TRADE_BUYER_NOT_MATCH,
// ACQ.REASON_TRADE_REFUND_FEE_ERR…).
//
// # Gateway behaviour
//
// Parameters come from the query string and the body (form or multipart) and are
// merged; a key repeated with a different value is refused. Checks, in order: method,
// app_id (unknown → isv.invalid-app-id, before the signature), method known, version
// 1.0, sign_type RSA2|RSA, sign, timestamp (yyyy-MM-dd HH:mm:ss Asia/Shanghai; with
// StrictTimestamp more than 15 min off is refused), charset utf-8, format JSON if sent,
// no encrypt_type, the RSA signature over every non-empty parameter but sign,
// certificate parameters, then biz_content as a JSON object. Every answer is HTTP 200,
// text/html;charset=utf-8, {"<method>_response":{…}[,"alipay_cert_sn":…],"sign":…}
// signed over the node's exact bytes, errors included; alipay_cert_sn appears only when
// the request carried app_cert_sn. The exceptions are the gateway-level refusals of the
// gateway_reject knob (40001–40003, 40005, 40006) and of RefundSpacing: they come with no
// sign, as a probe of the real gateway showed, so clients must read an unsigned isv.*
// error as the refusal it claims to be and never trust an unsigned success.
//
// A precreate issues a QR (text {base}/sandbox/scan/{code}); the trade exists only after
// a scan. Repeating precreate with the same amount and subject returns the same QR.
// time_expire / timeout_express (default 3 h) are divided by TimeScale; an unscanned QR
// dies at min(expiry, 2 h after the precreate), as Alipay's precreate documentation says
// of its QR codes; a scanned unpaid trade closes (notified) at the expiry. store_id (≤32),
// terminal_id (≤32) and operator_id (≤28) are kept and echoed by alipay.trade.query.
// The first buyer who names themselves (buyer_logon_id or buyer_id on scan or pay) binds
// the trade; another buyer is refused with ACQ.TRADE_BUYER_NOT_MATCH. An anonymous scan
// (the buyer page) binds nobody in particular.
//
// alipay.trade.cancel of an order that was never scanned answers action "close" and
// kills the QR for good; of an out_trade_no never seen at all it answers 10000 with
// retry_flag N and neither action nor trade_no (Alipay's field descriptions: action
// only "when the call succeeds and the trade exists", trade_no only when a trade was
// closed or refunded), and the number stays dead so a late precreate or trade.pay cannot
// revive it. Paid trades can be cancelled (full refund, action "refund") for 24 h.
//
// Refunds: cumulative ≤ total; idempotent by out_request_no (fund_change N); the number
// defaults to the out_trade_no (then only a full refund). A trade refunded in full is
// TRADE_CLOSED and its query still carries send_pay_date and total_amount.
// fastpay.refund.query returns gmt_refund_pay only when query_options (a string array)
// names it. Alipay asks for 3 s between two refunds of one trade but documents no sub
// code for breaking it; with Config.RefundSpacing set (AlipayRefundSpacing = 3 s,
// divided by TimeScale, measured from the last refund applied) a closer refund — also a
// repeat of that very refund — is refused before any idempotency check with an unsigned
// 40005 isv.app-call-limited (our guess at the code: Alipay's documented call-frequency
// error). It is off by default.
//
// # Barcode payment
//
// POST /sandbox/api/auth-codes makes a buyer's payment code: 18 digits starting 25–30,
// single use, chargeable for 60 s of the sandbox clock (not divided by TimeScale, so a
// person can still type it). alipay.trade.pay (scene bar_code or wave_code) charges it:
// "pay" → 10000 with the payment (TRADE_SUCCESS, notified to notify_url); "password" →
// 10003 " order success pay inprocess" (Alipay's own text) and a WAIT_BUYER_PAY trade
// until the buyer confirms (…/confirm: TRADE_SUCCESS, notified) or the till cancels;
// "insufficient_balance" → 40004 ACQ.BUYER_BALANCE_NOT_ENOUGH. An unknown, used, expired
// or malformed code → ACQ.PAYMENT_AUTH_CODE_INVALID. Refused charges create no trade and
// a code is used up by any charge that reaches it. The same out_trade_no again answers
// from the trade: 10003 while it waits (same trade_no), ACQ.TRADE_HAS_SUCCESS with the
// trade's fields once paid (Alipay's documented answer to a repeat of a paid number),
// ACQ.TRADE_HAS_CLOSE once closed, ACQ.CONTEXT_INCONSISTENT for another amount or subject
// or a QR order's number. cancel closes an unpaid barcode trade (action close) and refunds
// a paid one in full (action refund, TRADE_CLOSED). Every fault knob applies.
//
// # Daily bill
//
// alipay.data.dataservice.bill.downloadurl.query (bill_type trade, bill_date yyyy-MM-dd)
// answers bill_download_url, a link to GET /sandbox/api/bill signed with a key of this
// run and valid 30 s on the sandbox clock (Alipay's field description: the URL stops
// working if not downloaded within 30 seconds). Today, later days and days before the app
// was registered answer 40004 isp.bill_not_exist; another bill_type or date form answers
// 40004 invalid_arguments. The zip, {pid}0156_{yyyyMMdd}.csv.zip, holds
// {pid}0156_{yyyyMMdd}_业务明细.csv and …_业务明细(汇总).csv, GBK text with GBK file
// names (no UTF-8 flag), built from the payments and refunds that happened that day in
// Asia/Shanghai: one 交易 row per payment and one 退款 row per refund (negative amounts,
// out_request_no in 退款批次号/请求号), each frozen when it happened and kept 8 days.
// The fee (服务费) is 0.6 % of each payment rounded half up to the fen, written negative
// (the merchant pays it); refunds carry 0.00. The (汇总) file has one row per store_id
// and a 合计 row, each summing the detail columns (net of refunds; 实收净额 = 商家实收 +
// 服务费). Free-text cells with a comma, quote or line break are CSV-quoted.
//
// Where the layout comes from. Public integrators' code (parsers of downloaded bills and
// test fixtures pasted from real ones): the title lines #支付宝业务明细查询 and
// #支付宝业务汇总查询, #账号：[pid0156], #起始日期：[yyyy年MM月dd日 00:00:00]   终止日期：[next day],
// the dashed start and end markers, the 25-column header, trailing tabs after the cells
// Alipay pads (交易号, 订单号, 业务类型, 门店编号, 门店名称, 操作员, 终端号, 对方账户, 商家红包
// 消费金额, 退款批次号/请求号), the #交易合计/#退款合计 wording, #导出时间, the (汇总) columns
// and its 合计 row, negative fees, GBK names, and the isp.bill_not_exist sub code (the
// documented enum says BILL_NOT_EXIST; integrators check the former). A third-party
// production observation: invalid_arguments. Our own choices: the 0.6 % rate and its
// rounding, 0.00 fees on refunds, "\n" line ends, the 对方账户 text, sub_msg texts.
//
// # Notifications
//
// POSTed as a UTF-8 form to the precreate's or trade.pay's notify_url (or the close/
// cancel/refund request's notify_url), signed RSA2 over every parameter but sign and
// sign_type, no empty values, no alipay_cert_sn, the same notify_id and body on every
// retry. Success is HTTP 200 with body exactly "success". Retries after 4m, 10m, 10m, 1h,
// 2h, 6h, 15h (divided by TimeScale), 8 attempts at most. Kinds and their default
// switches: TRADE_SUCCESS (payment, on), REFUND (partial refund: TRADE_SUCCESS +
// out_biz_no, refund_fee, gmt_refund with milliseconds, on), TRADE_CLOSED (close,
// cancel, timeout, full refund, on), TRADE_FINISHED (FinishTrade, on), WAIT_BUYER_PAY
// (scan, or a barcode charge waiting for the password, off).
//
// # Faults
//
// Rates are probabilities in 0..1; one PRNG seeded by seed (0 = random, reported back)
// draws every decision, and a knob at 0 draws nothing, so a sequential run with the
// same seed repeats exactly. Every gateway knob is limited by methods.
//
//	seed                 PRNG seed
//	notify_drop          an attempt is not sent (recorded as dropped, retried on schedule)
//	notify_duplicate     an attempt is sent twice
//	notify_delay_ms      added before every attempt
//	notify_bad_sign      an attempt carries a corrupted signature
//	notify_reorder       a new notification is held back 1 s so later ones overtake it
//	notify_states        {"WAIT_BUYER_PAY":true,"REFUND":false,…}: switch notification kinds
//	gateway_reject       the call is NOT carried out; answered with gateway_reject_code /
//	                     gateway_reject_sub_code (both or neither; default 40005
//	                     isv.app-call-limited; codes 20000, 40001..40006), unsigned for
//	                     gateway-level codes, signed for 40004 and 20000
//	gateway_system_error the call is NOT carried out; answers 20000 isp.unknow-error or
//	                     40004 ACQ.SYSTEM_ERROR (a fair coin picks which)
//	gateway_system_error_applied  the call IS carried out, then answered as above
//	gateway_timeout      the call IS carried out, then no answer: the connection is held
//	                     until the client gives up (at most 60 s) and dropped
//	gateway_latency_ms   delay before each call
//	methods              restrict the gateway faults to these methods (empty = all)
//
// Per call the knobs are drawn in that order (reject, system error, applied system
// error, timeout); the first that fires wins.
//
// # State
//
// With DataDir the simulator key (alipay_private_key.pem), the apps with their seller
// ids, registration times and certificates (apps.json), the certificate authority
// (ca.json) and the rotated Alipay certificates (alipay_certs.json) survive a restart;
// trades live in memory and are forgotten 72 h after their last change once they are
// paid, closed or dead; bill rows are kept 8 days (200 000 at most), payment codes an
// hour unless a trade still waits on one.
package sandbox
