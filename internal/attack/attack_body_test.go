package attack

import (
	"fmt"
	"net/http"
	"strings"
)

// merchantBodyAttacks are correctly signed requests whose content is malformed, injected,
// or aimed at another client's data or a forbidden transition.
func merchantBodyAttacks(w *world) []attack {
	bad := "400 INVALID_PARAMETER"
	signed := func(name, expect, method, path, query, body string, c *cred) attack {
		return attack{name: name, target: "merchant", expect: expect, run: func(w *world) string {
			var b []byte
			if body != "" || method == http.MethodPost {
				b = []byte(body)
			}
			return w.merchant(mreq{method: method, path: path, query: query, body: b, cred: c})
		}}
	}
	post := func(name, expect, path, body string) attack {
		return signed(name, expect, http.MethodPost, path, "", body, nil)
	}
	list := []attack{
		post("body over 64 KiB", "413 INVALID_PARAMETER", pathCreate,
			`{"out_trade_no":"atk_big","total_amount":"1.00","subject":"`+strings.Repeat("x", 65<<10)+`"}`),
		post("empty body", bad, pathCreate, ""),
		post("truncated JSON", bad, pathCreate, `{"out_trade_no":"atk_t","total_amount":`),
		post("JSON array instead of object", bad, pathCreate, `[{"out_trade_no":"atk_a","total_amount":"1.00","subject":"s"}]`),
		post("trailing data after the object", bad, pathCreate, `{"out_trade_no":"atk_tr","total_amount":"1.00","subject":"s"} {"x":1}`),
		post("duplicate key total_amount", bad, pathCreate, `{"out_trade_no":"atk_dup","total_amount":"0.01","subject":"s","total_amount":"9.90"}`),
		post("duplicate key in another case", bad, pathCreate, `{"out_trade_no":"atk_dupc","total_amount":"0.01","subject":"s","TOTAL_AMOUNT":"9.90"}`),
		post("duplicate key in metadata", bad, pathCreate, `{"out_trade_no":"atk_dupm","total_amount":"1.00","subject":"s","metadata":{"a":"1","a":"2"}}`),
		post("unknown field status=paid", bad, pathCreate, `{"out_trade_no":"atk_unk","total_amount":"1.00","subject":"s","status":"paid"}`),
		post("invalid UTF-8 in subject", bad, pathCreate, "{\"out_trade_no\":\"atk_utf\",\"total_amount\":\"1.00\",\"subject\":\"\xff\xfe\"}"),
		post("control character in subject", bad, pathCreate, `{"out_trade_no":"atk_ctl","total_amount":"1.00","subject":"a\u0000b"}`),
		post("amount as a JSON number", bad, pathCreate, `{"out_trade_no":"atk_num","total_amount":9.9,"subject":"s"}`),
		post("negative amount", bad, pathCreate, `{"out_trade_no":"atk_neg","total_amount":"-1.00","subject":"s"}`),
		post("zero amount", bad, pathCreate, `{"out_trade_no":"atk_zero","total_amount":"0.00","subject":"s"}`),
		post("three decimals", bad, pathCreate, `{"out_trade_no":"atk_3d","total_amount":"1.001","subject":"s"}`),
		post("amount above 100000000.00", bad, pathCreate, `{"out_trade_no":"atk_max","total_amount":"100000000.01","subject":"s"}`),
		post("amount in exponent form", bad, pathCreate, `{"out_trade_no":"atk_exp","total_amount":"1e3","subject":"s"}`),
		post("out_trade_no of 65 characters", bad, pathCreate, `{"out_trade_no":"`+strings.Repeat("o", 65)+`","total_amount":"1.00","subject":"s"}`),
		post("timeout_minutes 100000", bad, pathCreate, `{"out_trade_no":"atk_tmo","total_amount":"1.00","subject":"s","timeout_minutes":100000}`),
		post("notify_url javascript:", bad, pathCreate, `{"out_trade_no":"atk_js","total_amount":"1.00","subject":"s","notify_url":"javascript:alert(1)"}`),
		post("metadata value nested object", bad, pathCreate, `{"out_trade_no":"atk_nest","total_amount":"1.00","subject":"s","metadata":{"a":{"b":"c"}}}`),
		post("metadata with 21 keys", bad, pathCreate, `{"out_trade_no":"atk_m21","total_amount":"1.00","subject":"s","metadata":{`+manyKeys(21)+`}}`),
		post("create again with other amount (idempotency)", "409 CONFLICT", pathCreate, fmt.Sprintf(`{"out_trade_no":%q,"total_amount":"0.01","subject":"attack"}`, w.pending)),
		post("refund of an unpaid order", "422 UNPROCESSABLE", pathRefund, fmt.Sprintf(`{"out_trade_no":%q,"refund_no":"atk-rf-u","refund_amount":"1.00"}`, w.pending)),
		post("refund above the refundable amount", "422 UNPROCESSABLE", pathRefund, fmt.Sprintf(`{"out_trade_no":%q,"refund_no":"atk-rf-o","refund_amount":"9.00"}`, w.paid)),
		post("refund with negative amount", bad, pathRefund, fmt.Sprintf(`{"out_trade_no":%q,"refund_no":"atk-rf-n","refund_amount":"-1.00"}`, w.paid)),
		post("refund_no reused with another amount", "409 CONFLICT", pathRefund, fmt.Sprintf(`{"out_trade_no":%q,"refund_no":"atk-rf1","refund_amount":"2.00"}`, w.paid)),
		post("close of a paid order", "409 CONFLICT", pathClose, fmt.Sprintf(`{"out_trade_no":%q}`, w.paid)),
		signed("other client queries my order", "404 NOT_FOUND", http.MethodGet, "/api/v1/payment/query/"+w.pending, "", "", &w.b),
		signed("other client closes my order", "404 NOT_FOUND", http.MethodPost, pathClose, "", fmt.Sprintf(`{"out_trade_no":%q}`, w.pending), &w.b),
		signed("other client refunds my order", "404 NOT_FOUND", http.MethodPost, pathRefund, "", fmt.Sprintf(`{"out_trade_no":%q,"refund_no":"atk-rf-b","refund_amount":"1.00"}`, w.paid), &w.b),
		signed("other client reads my refund", "404 NOT_FOUND", http.MethodGet, "/api/v1/payment/refund/query/"+w.paid+"/atk-rf1", "", "", &w.b),
		signed("list with limit=-1", bad, http.MethodGet, pathList, "limit=-1", "", nil),
		signed("list with cursor injection", bad, http.MethodGet, pathList, "cursor=1%20OR%201%3D1", "", nil),
		signed("query wait=61 (above 60 s)", bad, http.MethodGet, "/api/v1/payment/query/"+w.pending, "wait=61", "", nil),
		signed("invalid UTF-8 in query", bad, http.MethodGet, pathList, "status=%ff%fe", "", nil),
		signed("URL longer than 4 KiB", "414 INVALID_PARAMETER", http.MethodGet, pathList, "status="+strings.Repeat("a", 5000), "", nil),
		signed("encoded path traversal", "404 NOT_FOUND", http.MethodGet, "/api/v1/payment/query/..%2F..%2Fadmin", "", "", nil),
	}
	for _, inj := range injections {
		list = append(list,
			post("out_trade_no "+inj.name+" injection", bad, pathCreate, fmt.Sprintf(`{"out_trade_no":%q,"total_amount":"1.00","subject":"s"}`, inj.value)),
			post("refund_no "+inj.name+" injection", bad, pathRefund, fmt.Sprintf(`{"out_trade_no":%q,"refund_no":%q,"refund_amount":"1.00"}`, w.paid, inj.value)),
			post("total_amount "+inj.name+" injection", bad, pathCreate, fmt.Sprintf(`{"out_trade_no":"atk_ia","total_amount":%q,"subject":"s"}`, inj.value)),
			signed("list status "+inj.name+" injection", bad, http.MethodGet, pathList, "status="+urlEscape(inj.value), "", nil),
		)
	}
	return list
}

func manyKeys(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"k%d":"v"`, i)
	}
	return strings.Join(parts, ",")
}
