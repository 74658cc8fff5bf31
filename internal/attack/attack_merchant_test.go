package attack

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/client"
)

// attack is one forged or malformed input: where it goes, what the gateway must answer,
// and how to send it. run answers what the gateway did answer.
type attack struct {
	name, target, expect string
	run                  func(w *world) string
}

const (
	pathCreate = "/api/v1/payment/create"
	pathList   = "/api/v1/payment/list"
	pathRefund = "/api/v1/payment/refund"
	pathClose  = "/api/v1/payment/close"
)

// Injection strings tried in every strictly validated field.
var injections = []struct{ name, value string }{
	{"sql", `x' OR '1'='1' --`},
	{"sql-drop", `a'; DROP TABLE orders; --`},
	{"template", `{{.Secret}}${7*7}<%= 7*7 %>`},
	{"html", `<script>alert(1)</script>`},
	{"path", `../../etc/passwd`},
}

func createBody(no, amount string) []byte {
	return []byte(fmt.Sprintf(`{"out_trade_no":%q,"total_amount":%q,"subject":"attack"}`, no, amount))
}

// merchantAttacks are the inputs at the merchant API. Those with a valid signature are
// signed with the real secret so that they reach the check they aim at.
func merchantAttacks(w *world, replay mreq) []attack {
	now := time.Now().Unix()
	create := func(body []byte) mreq { return mreq{method: http.MethodPost, path: pathCreate, body: body} }
	m := func(name, expect string, r func() mreq) attack {
		return attack{name: name, target: "merchant", expect: expect, run: func(w *world) string { return w.merchant(r()) }}
	}
	good := createBody("atk_new_1", "9.90")
	unauth := "401 UNAUTHORIZED"
	list := []attack{
		{name: "no auth headers", target: "merchant", expect: unauth, run: func(w *world) string {
			req, _ := http.NewRequest(http.MethodPost, w.base+pathCreate, strings.NewReader(string(good)))
			return w.send(req, true)
		}},
		m("missing X-App-Id", unauth, func() mreq { r := create(good); r.omit = "X-App-Id"; return r }),
		m("missing X-Timestamp", unauth, func() mreq { r := create(good); r.omit = "X-Timestamp"; return r }),
		m("missing X-Nonce", unauth, func() mreq { r := create(good); r.omit = "X-Nonce"; return r }),
		m("missing X-Signature", unauth, func() mreq { r := create(good); r.omit = "X-Signature"; return r }),
		m("signature truncated to 63 hex", unauth, func() mreq {
			r := create(good)
			r.nonce = client.NewNonce()
			r.sig = client.Sign(w.a.secret, "POST", pathCreate, "", strconv.FormatInt(now, 10), r.nonce, good)[:63]
			r.ts = strconv.FormatInt(now, 10)
			return r
		}),
		m("signature in upper-case hex", unauth, func() mreq {
			r := create(good)
			r.ts, r.nonce = strconv.FormatInt(now, 10), client.NewNonce()
			r.sig = strings.ToUpper(client.Sign(w.a.secret, "POST", pathCreate, "", r.ts, r.nonce, good))
			return r
		}),
		m("signature all zeros", unauth, func() mreq { r := create(good); r.sig = strings.Repeat("0", 64); return r }),
		m("signature base64 instead of hex", unauth, func() mreq { r := create(good); r.sig = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="; return r }),
		m("signed with a wrong secret", unauth, func() mreq { r := create(good); r.signSecret = "sk_guessed"; return r }),
		m("signed with a NUL-byte secret", unauth, func() mreq { r := create(good); r.signSecret = "\x00"; return r }),
		m("other client's app id, own secret", unauth, func() mreq { r := create(good); r.signSecret = w.b.secret; return r }),
		m("own app id, other client's secret", unauth, func() mreq { r := create(good); r.cred = &cred{w.b.appID, w.a.secret}; return r }),
		m("unknown app id", unauth, func() mreq { r := create(good); r.cred = &cred{"app_doesnotexist000", w.a.secret}; return r }),
		m("app id with SQL injection", unauth, func() mreq { r := create(good); r.cred = &cred{`app' OR '1'='1`, w.a.secret}; return r }),
		// Taken at send time, 10 s past the window's edge: the suite's own delay or a second
		// ticking over must not bring them back inside (the edge itself is unit-tested with a
		// pinned clock in internal/httpapi).
		m("stale timestamp (now-310 s)", unauth, func() mreq { r := create(good); r.ts = strconv.FormatInt(time.Now().Unix()-310, 10); return r }),
		m("future timestamp (now+310 s)", unauth, func() mreq { r := create(good); r.ts = strconv.FormatInt(time.Now().Unix()+310, 10); return r }),
		m("timestamp in milliseconds", unauth, func() mreq { r := create(good); r.ts = strconv.FormatInt(now*1000, 10); return r }),
		m("timestamp not a number", unauth, func() mreq { r := create(good); r.ts = "1.7e9"; return r }),
		m("negative timestamp", unauth, func() mreq { r := create(good); r.ts = "-" + strconv.FormatInt(now, 10); return r }),
		m("nonce of 15 characters", unauth, func() mreq { r := create(good); r.nonce = "abcdefghijklmno"; return r }),
		m("nonce of 65 characters", unauth, func() mreq { r := create(good); r.nonce = strings.Repeat("n", 65); return r }),
		m("nonce with forbidden characters", unauth, func() mreq { r := create(good); r.nonce = "nonce/../../../etc%00"; return r }),
		m("replayed request after a restart", unauth, func() mreq { return replay }),
		m("replayed nonce, body changed", unauth, func() mreq { r := replay; r.body = createBody("atk_r0_b", "0.01"); r.sig = replay.sig; return r }),
		m("replayed nonce, re-signed new body", unauth, func() mreq {
			r := replay
			r.body, r.sig, r.ts = createBody("atk_r0_c", "0.01"), "", strconv.FormatInt(now, 10)
			return r
		}),
		m("tampered path (query of another order)", unauth, func() mreq {
			return mreq{method: http.MethodGet, path: "/api/v1/payment/query/" + w.paid, signPath: "/api/v1/payment/query/" + w.pending}
		}),
		m("tampered query (sync=false signed)", unauth, func() mreq {
			return mreq{method: http.MethodGet, path: "/api/v1/payment/query/" + w.pending, query: "sync=true", signQuery: "sync=false"}
		}),
		m("query parameter added after signing", unauth, func() mreq {
			return mreq{method: http.MethodGet, path: pathList, query: "limit=1&status=paid", signQuery: "limit=1"}
		}),
		m("tampered body (amount lowered)", unauth, func() mreq { r := create(createBody("atk_new_2", "0.01")); r.signBody = good; return r }),
		m("method changed after signing", unauth, func() mreq {
			return mreq{method: http.MethodPost, path: pathClose, body: []byte(`{"out_trade_no":"` + w.pending + `"}`), signMethod: http.MethodGet}
		}),
		m("free text fields injected, forged signature", unauth, func() mreq {
			r := create([]byte(`{"out_trade_no":"atk_inj_2","total_amount":"1.00","subject":"'; DROP TABLE orders;--","body":"{{.Secret}}","metadata":{"k":"<script>"}}`))
			r.signSecret = "sk_forged"
			return r
		}),
	}
	return append(list, merchantBodyAttacks(w)...)
}
