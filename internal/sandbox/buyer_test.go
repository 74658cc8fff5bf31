package sandbox

import (
	"encoding/json"
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

func TestScanPage(t *testing.T) {
	b := setup(t, Config{})
	qr := precreate(t, b, "P1", "9.90").QRCode
	code, page := get(t, qr)
	if code != 200 || !strings.Contains(page, "¥9.90") || !strings.Contains(page, "测试商品") ||
		!strings.Contains(page, `value="success"`) || !strings.Contains(page, `value="insufficient_balance"`) || !strings.Contains(page, `value="cancel"`) {
		t.Fatalf("page %d: %s", code, page)
	}
	if tr, _ := b.sb.Trade(testAppID, "P1"); tr.Status != StatusWaitBuyerPay {
		t.Fatal("opening the page did not scan")
	}
	post := func(outcome string) (int, string) {
		resp, err := http.PostForm(qr, url.Values{"outcome": {outcome}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if c, p := post("insufficient_balance"); c != 200 || !strings.Contains(p, "余额不足") {
		t.Fatalf("insufficient: %d %s", c, p)
	}
	if tr, _ := b.sb.Trade(testAppID, "P1"); tr.Status != StatusWaitBuyerPay || tr.LastPayOutcome != OutcomeInsufficientBalance {
		t.Fatalf("after insufficient: %+v", tr)
	}
	if c, p := post("success"); c != 200 || !strings.Contains(p, "付款成功") {
		t.Fatalf("pay: %d %s", c, p)
	}
	if c, _ := post("success"); c != http.StatusConflict {
		t.Fatalf("second pay: %d", c)
	}
	if c, _ := get(t, b.srv.URL+"/sandbox/scan/baxnothing"); c != http.StatusNotFound {
		t.Fatalf("unknown code: %d", c)
	}
	qr2 := precreate(t, b, "P2", "1.00").QRCode
	b.client.TradeCancel(ctx, tradeCancel("P2"))
	if c, p := get(t, qr2); c != http.StatusGone || !strings.Contains(p, "二维码已失效") {
		t.Fatalf("dead QR: %d", c)
	}
}

func TestBuyerAPI(t *testing.T) {
	b := setup(t, Config{BaseURL: "http://192.0.2.1:8080/"})
	qr := precreate(t, b, "API1", "3.00").QRCode
	if !strings.HasPrefix(qr, "http://192.0.2.1:8080/sandbox/scan/bax") {
		t.Fatalf("BaseURL not used: %s", qr)
	}
	var tr Trade
	resp := postJSON(t, b.srv.URL+"/sandbox/api/scan", `{"qr_code":"`+qr+`","buyer_logon_id":"buyer@sandbox.com"}`)
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tr) != nil || tr.Status != StatusWaitBuyerPay || tr.BuyerLogonID != "buy***@sandbox.com" {
		t.Fatalf("scan: %d %+v", resp.StatusCode, tr)
	}
	resp = postJSON(t, b.srv.URL+"/sandbox/api/pay", `{"app_id":"`+testAppID+`","out_trade_no":"API1","outcome":"cancel"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("cancel outcome: %d", resp.StatusCode)
	}
	resp = postJSON(t, b.srv.URL+"/sandbox/api/pay", `{"app_id":"`+testAppID+`","out_trade_no":"API1","outcome":"weird"}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad outcome: %d", resp.StatusCode)
	}
	resp = postJSON(t, b.srv.URL+"/sandbox/api/pay", `{"app_id":"`+testAppID+`","out_trade_no":"API1"}`)
	if json.NewDecoder(resp.Body).Decode(&tr) != nil || tr.Status != StatusTradeSuccess || tr.PaidAt == nil {
		t.Fatalf("pay: %+v", tr)
	}
	if resp := postJSON(t, b.srv.URL+"/sandbox/api/pay", `{"app_id":"`+testAppID+`","out_trade_no":"nope"}`); resp.StatusCode != 404 {
		t.Fatalf("unknown: %d", resp.StatusCode)
	}
	b.sb.runNotifyOnce()
	code, body := get(t, b.srv.URL+"/sandbox/api/trades?app_id="+testAppID)
	var list struct{ Trades []Trade }
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Trades) != 1 || list.Trades[0].TotalAmount != "3.00" {
		t.Fatalf("trades: %s", body)
	}
	code, body = get(t, b.srv.URL+"/sandbox/api/notifications?out_trade_no=API1")
	var notes struct{ Notifications []NotifyAttempt }
	if code != 200 || json.Unmarshal([]byte(body), &notes) != nil || len(notes.Notifications) != 1 || !notes.Notifications[0].Success ||
		notes.Notifications[0].Params["sign"] != "" {
		t.Fatalf("notifications: %s", body)
	}
	resp = postJSON(t, b.srv.URL+"/sandbox/api/finish", `{"app_id":"`+testAppID+`","out_trade_no":"API1"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("finish: %d", resp.StatusCode)
	}
}

func TestAppsAPI(t *testing.T) {
	b := setup(t, Config{})
	pub := strings.ReplaceAll(strings.TrimSpace(testAppPublicPEM), "\n", "\\n")
	resp := postJSON(t, b.srv.URL+"/sandbox/api/apps", `{"app_id":"2021000000000009","app_public_key":"`+pub+`"}`)
	var out map[string]string
	if resp.StatusCode != 201 || json.NewDecoder(resp.Body).Decode(&out) != nil || !strings.HasPrefix(out["seller_id"], "2088") {
		t.Fatalf("apps: %d %v", resp.StatusCode, out)
	}
	if resp := postJSON(t, b.srv.URL+"/sandbox/api/apps", `{"app_id":"x","app_public_key":"nope"}`); resp.StatusCode != 400 {
		t.Fatalf("bad key: %d", resp.StatusCode)
	}
	if c, body := get(t, b.srv.URL+"/sandbox/api/alipay-public-key"); c != 200 || body != b.sb.AlipayPublicKeyPEM() {
		t.Fatalf("public key: %d", c)
	}
	resp = postJSON(t, b.srv.URL+"/sandbox/api/certs", `{"app_id":"2021000000000009","app_public_key":"`+pub+`"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("certs: %d", resp.StatusCode)
	}
	if c, _ := get(t, b.srv.URL+"/sandbox/nothing"); c != 404 {
		t.Fatalf("unknown route: %d", c)
	}
}

// TestSecondBuyerGetsBuyerNotMatch: the first buyer who names themselves (buyer_logon_id
// or buyer_id) binds the QR's trade; another buyer scanning or paying it is refused with
// ACQ.TRADE_BUYER_NOT_MATCH, and the trade stays theirs.
func TestSecondBuyerGetsBuyerNotMatch(t *testing.T) {
	b := setup(t, Config{})
	qr := precreate(t, b, "BM1", "5.00").QRCode
	api := func(route, body string) (int, map[string]any) {
		t.Helper()
		resp := postJSON(t, b.srv.URL+"/sandbox/api/"+route, body)
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	// an anonymous scan (the buyer page) does not bind anybody yet
	if c, _ := get(t, qr); c != 200 {
		t.Fatalf("page: %d", c)
	}
	if c, tr := api("scan", `{"qr_code":"`+qr+`","buyer_logon_id":"alice@sandbox.com"}`); c != 200 || tr["buyer_logon_id"] != "ali***@sandbox.com" {
		t.Fatalf("first named scan: %d %v", c, tr)
	}
	first, _ := b.sb.Trade(testAppID, "BM1")
	for _, body := range []string{
		`{"qr_code":"` + qr + `","buyer_logon_id":"bob@sandbox.com"}`,
		`{"app_id":"` + testAppID + `","out_trade_no":"BM1","buyer_id":"2088000000000002"}`,
	} {
		c, out := api("scan", body)
		e, _ := out["error"].(map[string]any)
		if c != http.StatusConflict || e["sub_code"] != "ACQ.TRADE_BUYER_NOT_MATCH" {
			t.Fatalf("second buyer scan %s: %d %v", body, c, out)
		}
	}
	c, out := api("pay", `{"qr_code":"`+qr+`","buyer_logon_id":"bob@sandbox.com"}`)
	if e, _ := out["error"].(map[string]any); c != http.StatusConflict || e["sub_code"] != "ACQ.TRADE_BUYER_NOT_MATCH" {
		t.Fatalf("second buyer pay: %d %v", c, out)
	}
	if tr, _ := b.sb.Trade(testAppID, "BM1"); tr.Status != StatusWaitBuyerPay || tr.BuyerID != first.BuyerID {
		t.Fatalf("trade changed by the second buyer: %+v", tr)
	}
	// the bound buyer (by login or by id) and an anonymous caller may go on
	if c, _ := api("scan", `{"qr_code":"`+qr+`","buyer_id":"`+first.BuyerID+`"}`); c != 200 {
		t.Fatalf("bound buyer by id: %d", c)
	}
	if c, tr := api("pay", `{"qr_code":"`+qr+`","buyer_logon_id":"alice@sandbox.com"}`); c != 200 || tr["status"] != StatusTradeSuccess {
		t.Fatalf("bound buyer pays: %d %v", c, tr)
	}
	if c, _ := api("scan", `{"qr_code":"`+qr+`","buyer_id":"12"}`); c != http.StatusBadRequest {
		t.Fatalf("malformed buyer_id: %d", c)
	}
}
