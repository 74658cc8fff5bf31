package web

import (
	"sort"
	"strconv"
	"strings"
)

// Cashier texts. zh-CN is the default; English is chosen by Accept-Language or ?lang=en.
var catalog = map[string]map[string]string{
	"zh-CN": {
		"title":      "扫码支付",
		"scan":       "请使用支付宝扫一扫",
		"open":       "在手机上打开支付宝付款",
		"remaining":  "剩余支付时间",
		"order_no":   "订单号",
		"pending":    "等待付款",
		"paid":       "支付成功",
		"paid_note":  "已收到您的付款，谢谢！",
		"expired":    "订单已过期",
		"expired_nt": "二维码已失效，请重新下单。",
		"closed":     "订单已关闭",
		"closed_nt":  "该订单已关闭，无法继续支付。",
		"refunded":   "订单已退款",
		"refund_nt":  "款项已原路退回。",
		"no_qr":      "二维码生成中，请稍后刷新。",
		"live":       "支付状态将自动更新，无需刷新页面。",
		"not_found":  "订单不存在",
		"nf_note":    "链接无效或订单已被删除。",
		"qr_alt":     "支付宝付款二维码",
		"brand":      "支付宝",
		// WeChat Pay orders (cashierTexts).
		"wechat_scan":   "请使用微信扫一扫",
		"wechat_qr_alt": "微信支付二维码",
		"wechat_brand":  "微信支付",
	},
	"en": {
		"title":      "Scan to pay",
		"scan":       "Scan with Alipay",
		"open":       "Open in Alipay on this phone",
		"remaining":  "Time left to pay",
		"order_no":   "Order",
		"pending":    "Waiting for payment",
		"paid":       "Paid",
		"paid_note":  "Payment received. Thank you!",
		"expired":    "Expired",
		"expired_nt": "This QR code is no longer valid; please place the order again.",
		"closed":     "Closed",
		"closed_nt":  "This order was closed and can no longer be paid.",
		"refunded":   "Refunded",
		"refund_nt":  "The payment was refunded.",
		"no_qr":      "The QR code is being prepared; refresh in a moment.",
		"live":       "This page updates by itself when you pay.",
		"not_found":  "Order not found",
		"nf_note":    "The link is invalid or the order no longer exists.",
		"qr_alt":     "Alipay payment QR code",
		"brand":      "Alipay",
		// WeChat Pay orders (cashierTexts).
		"wechat_scan":   "Scan with WeChat",
		"wechat_qr_alt": "WeChat Pay QR code",
		"wechat_brand":  "WeChat Pay",
	},
}

// pickLang returns "en" when ?lang=en is given or English ranks above Chinese in
// Accept-Language, and "zh-CN" otherwise.
func pickLang(query, acceptLanguage string) string {
	switch strings.ToLower(query) {
	case "en":
		return "en"
	case "zh", "zh-cn":
		return "zh-CN"
	}
	type pref struct {
		tag string
		q   float64
		i   int
	}
	var prefs []pref
	for i, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if tag != "" && q > 0 {
			prefs = append(prefs, pref{strings.ToLower(tag), q, i})
		}
	}
	sort.SliceStable(prefs, func(a, b int) bool { return prefs[a].q > prefs[b].q })
	for _, p := range prefs {
		switch {
		case p.tag == "en" || strings.HasPrefix(p.tag, "en-"):
			return "en"
		case p.tag == "zh" || strings.HasPrefix(p.tag, "zh-"):
			return "zh-CN"
		}
	}
	return "zh-CN"
}
