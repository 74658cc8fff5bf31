package wechat

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBuyerPage(t *testing.T) {
	b := setup(t, Config{})
	code := b.order(t, "f2fpage00001", 1234, "https://shop.example/notify")
	pr := strings.TrimPrefix(code, "weixin://wxpay/bizpayurl?pr=")
	status, page := get(t, b.srv.URL+"/sandbox/wechat/scan/"+pr)
	if status != 200 || !strings.Contains(page, "¥12.34") || !strings.Contains(page, `id="pay"`) || !strings.Contains(page, "订单未支付") {
		t.Fatalf("page %d:\n%s", status, page)
	}
	post := func(outcome string) (int, string) {
		resp, err := http.PostForm(b.srv.URL+"/sandbox/wechat/scan/"+pr, url.Values{"outcome": {outcome}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if s, p := post("cancel"); s != 200 || !strings.Contains(p, "已取消") || b.s.Trades(testMchID, "f2fpage00001")[0].State != "NOTPAY" {
		t.Fatalf("cancel: %d %s", s, p)
	}
	if s, p := post("insufficient_balance"); s != 200 || !strings.Contains(p, "余额不足") || b.s.Trades(testMchID, "f2fpage00001")[0].State != "NOTPAY" {
		t.Fatalf("insufficient balance: %d %s", s, p)
	}
	if s, p := post("success"); s != 200 || !strings.Contains(p, "支付成功") || strings.Contains(p, `id="pay"`) {
		t.Fatalf("pay: %d %s", s, p)
	}
	if s, _ := post("success"); s != 409 {
		t.Fatalf("paying twice: %d", s)
	}
	if s, _ := get(t, b.srv.URL+"/sandbox/wechat/scan/nosuchcode"); s != 404 {
		t.Fatalf("unknown pr: %d", s)
	}
}

func TestAPIPaySelectors(t *testing.T) {
	b := setup(t, Config{})
	code := b.order(t, "f2fselect001", 1, "https://shop.example/notify")
	r := b.api(t, "POST", "/pay", map[string]any{"code_url": code, "openid": "oTestBuyer"})
	if v := r.json(t); r.status != 200 || v["trade_state"] != "SUCCESS" || v["payer_openid"] != "oTestBuyer" {
		t.Fatalf("by code_url: %d %s", r.status, r.body)
	}
	b.order(t, "f2fselect002", 1, "https://shop.example/notify")
	if r := b.api(t, "POST", "/pay", map[string]any{"mchid": testMchID, "out_trade_no": "f2fselect002", "outcome": "refund"}); r.status != 400 {
		t.Fatalf("bad outcome: %d %s", r.status, r.body)
	}
	if r := b.api(t, "POST", "/pay", map[string]any{"pr": "nosuchpr"}); r.status != 404 {
		t.Fatalf("unknown pr: %d", r.status)
	}
	tr := b.api(t, "GET", "/trades?mchid="+testMchID+"&out_trade_no=f2fselect001", nil).json(t)["trades"].([]any)
	if len(tr) != 1 || tr[0].(map[string]any)["code_url"] != code {
		t.Fatalf("trades: %v", tr)
	}
}
