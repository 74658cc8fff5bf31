package attack

import (
	"net/url"
	"strings"
)

// notifyAttacks are the inputs at POST /notify/alipay: unsigned, badly signed, signed by
// a key Alipay never had, tampered after Alipay signed, and — signed with the simulator's
// own key, as if Alipay's key had leaked or Alipay were confused — forms that contradict
// the order or alipay.trade.query. Every one must be answered "failure".
func notifyAttacks(w *world) []attack {
	const failure = "200 failure"
	n := func(name, expect string, body func() string) attack {
		return attack{name: name, target: "notify", expect: expect, run: func(w *world) string { return w.notify(body()) }}
	}
	genuine := func() url.Values { return clone(w.genuine) }
	tampered := func(k, v string) func() string {
		return func() string { f := genuine(); f.Set(k, v); return f.Encode() }
	}
	asAlipay := func(f url.Values) string { return w.signAs(w.alipay, f).Encode() }
	list := []attack{
		n("empty body", failure, func() string { return "" }),
		n("not a form", failure, func() string { return "%%%zz&&==" }),
		n("JSON instead of a form", failure, func() string { return `{"trade_status":"TRADE_SUCCESS"}` }),
		n("unsigned", failure, func() string { f := w.form(w.pending, "9.90", "TRADE_SUCCESS"); return f.Encode() }),
		n("random signature", failure, func() string {
			f := w.form(w.pending, "9.90", "TRADE_SUCCESS")
			f.Set("sign", "c2lnbmF0dXJlIG9mIG5vdGhpbmc=")
			return f.Encode()
		}),
		n("signature of another notification", failure, func() string {
			f := w.form(w.pending, "9.90", "TRADE_SUCCESS")
			f.Set("sign", w.genuine.Get("sign"))
			return f.Encode()
		}),
		n("re-signed by another RSA key", failure, func() string {
			return w.signAs(w.other, w.form(w.pending, "9.90", "TRADE_SUCCESS")).Encode()
		}),
		n("genuine, total_amount tampered", failure, tampered("total_amount", "0.01")),
		n("genuine, trade_status tampered", failure, tampered("trade_status", "TRADE_CLOSED")),
		n("genuine, trade_no tampered", failure, tampered("trade_no", "2099010122001400000000000001")),
		n("genuine replayed for another order", failure, tampered("out_trade_no", w.pending)),
		n("genuine, app_id tampered", failure, tampered("app_id", "2021000000000999")),
		n("genuine, sign_type RSA and sign cut", failure, func() string {
			f := genuine()
			f.Set("sign_type", "RSA")
			f.Set("sign", f.Get("sign")[:40])
			return f.Encode()
		}),
		n("genuine with total_amount given twice", failure, func() string { return "total_amount=0.01&" + w.genuine.Encode() }),
		n("Alipay-signed: pending order paid (query says not)", failure, func() string {
			return asAlipay(w.form(w.pending, "9.90", "TRADE_SUCCESS"))
		}),
		n("Alipay-signed: amount mismatch", failure, func() string { return asAlipay(w.form(w.pending, "0.01", "TRADE_SUCCESS")) }),
		n("Alipay-signed: other app's notification", failure, func() string {
			f := w.form(w.pending, "9.90", "TRADE_SUCCESS")
			f.Set("app_id", "2021000000000999")
			f.Set("auth_app_id", "2021000000000999")
			return asAlipay(f)
		}),
		n("Alipay-signed: other seller_id", failure, func() string {
			f := w.form(w.pending, "9.90", "TRADE_SUCCESS")
			f.Set("seller_id", "2088000000000999")
			return asAlipay(f)
		}),
		n("Alipay-signed: unknown out_trade_no", failure, func() string { return asAlipay(w.form("atk-nosuch", "9.90", "TRADE_SUCCESS")) }),
		n("Alipay-signed: other client's pending order", failure, func() string { return asAlipay(w.form(w.ofB, "9.90", "TRADE_SUCCESS")) }),
		n("Alipay-signed: paid order closed", failure, func() string { return asAlipay(w.form(w.paid, "9.90", "TRADE_CLOSED")) }),
		n("Alipay-signed: paid order, other trade_no", failure, func() string {
			f := w.form(w.paid, "9.90", "TRADE_SUCCESS")
			f.Set("trade_no", "2099010122001400000000000002")
			return asAlipay(f)
		}),
		n("Alipay-signed: refund Alipay never made", failure, func() string {
			f := w.form(w.paid, "9.90", "TRADE_SUCCESS")
			f.Set("out_biz_no", "atk-fake-refund")
			f.Set("refund_fee", "9.90")
			f.Set("gmt_refund", f.Get("gmt_payment"))
			return asAlipay(f)
		}),
		n("Alipay-signed: wrong notify_type", failure, func() string {
			f := w.form(w.pending, "9.90", "TRADE_SUCCESS")
			f.Set("notify_type", "trade_status_async")
			return asAlipay(f)
		}),
		n("Alipay-signed: unknown trade_status", failure, func() string { return asAlipay(w.form(w.pending, "9.90", "TRADE_PAID")) }),
		n("Alipay-signed: amount 9.9e0", failure, func() string { return asAlipay(w.form(w.pending, "9.9e0", "TRADE_SUCCESS")) }),
		n("Alipay-signed: notify_id missing", failure, func() string {
			f := w.form(w.pending, "9.90", "TRADE_SUCCESS")
			f.Del("notify_id")
			return asAlipay(f)
		}),
		n("body over 64 KiB", "413 failure", func() string {
			return w.form(w.pending, "9.90", "TRADE_SUCCESS").Encode() + "&pad=" + strings.Repeat("p", 65<<10)
		}),
		n("invalid UTF-8 in subject", failure, func() string {
			f := w.form(w.pending, "9.90", "TRADE_SUCCESS")
			f.Set("subject", "\xff\xfe")
			return asAlipay(f)
		}),
	}
	for _, inj := range injections {
		list = append(list, n("Alipay-signed: out_trade_no "+inj.name+" injection", failure, func() string {
			return asAlipay(w.form(inj.value, "9.90", "TRADE_SUCCESS"))
		}))
	}
	return list
}

func urlEscape(s string) string { return url.QueryEscape(s) }
