package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/web"
)

func TestLoginLocksAfterFiveFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	token := csrfField.FindStringSubmatch(get(t, hc, b.url+"/admin/login", http.StatusOK))[1]
	for i := 1; i <= web.MaxLoginFailures; i++ {
		resp := postForm(t, hc, b.url+"/admin/login", url.Values{"csrf": {token}, "password": {"wrong"}})
		want := http.StatusUnauthorized
		if i == web.MaxLoginFailures {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("attempt %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	resp := postForm(t, hc, b.url+"/admin/login", url.Values{"csrf": {token}, "password": {adminPassword}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", resp.StatusCode)
	}
	get(t, hc, b.url+"/admin/orders", http.StatusSeeOther) // still not logged in
}

func TestLoginNeedsFormToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	get(t, hc, b.url+"/admin/login", http.StatusOK)
	resp := postForm(t, hc, b.url+"/admin/login", url.Values{"password": {adminPassword}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without CSRF token: %d, want 403", resp.StatusCode)
	}
}

func TestPostWithoutCSRFRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	csrf := login(t, b, hc)
	p := b.order(t, "3.00")
	closeURL := b.url + "/admin/orders/" + p.OutTradeNo + "/close"
	wrong := "x" + csrf[1:]
	if wrong == csrf { // the token may itself start with x
		wrong = "y" + csrf[1:]
	}
	for name, form := range map[string]url.Values{"none": {}, "wrong": {"csrf": {wrong}}} {
		if resp := postForm(t, hc, closeURL, form); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("close with %s CSRF token: %d, want 403", name, resp.StatusCode)
		}
	}
	// A right token from another site is refused too.
	req, _ := http.NewRequest(http.MethodPost, closeURL, strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := hc.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: %v %v, want 403", resp, err)
	}
	if o, _ := b.store.GetOrder(t.Context(), p.OutTradeNo); o.Status != payment.StatusPending {
		t.Fatalf("refused POSTs changed the order: %s", o.Status)
	}
	if resp := postForm(t, hc, closeURL, url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close with the token: %d, want 303", resp.StatusCode)
	}
	if o, _ := b.store.GetOrder(t.Context(), p.OutTradeNo); o.Status != payment.StatusClosed {
		t.Fatalf("order %s after close, want closed", o.Status)
	}
	// Without a session a POST is refused whatever it carries.
	if resp := postForm(t, browserClient(), closeURL, url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST without session: %d, want 401", resp.StatusCode)
	}
}

var refundNoField = regexp.MustCompile(`name="refund_no" value="([^"]+)"`)

func TestConsoleRefundSearchAndClients(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	csrf := login(t, b, hc)
	p := b.order(t, "9.90")
	b.pay(t, p.OutTradeNo)
	paid := b.waitStatus(t, p.OutTradeNo, payment.StatusPaid)

	for _, q := range []string{p.OutTradeNo, paid.TradeNo} {
		list := get(t, hc, b.url+"/admin/orders?q="+url.QueryEscape(q), http.StatusOK)
		if !strings.Contains(list, "/admin/orders/"+p.OutTradeNo) {
			t.Fatalf("search %q does not find the order", q)
		}
	}
	if list := get(t, hc, b.url+"/admin/orders?status=pending", http.StatusOK); strings.Contains(list, p.OutTradeNo) {
		t.Fatal("status filter pending lists a paid order")
	}

	page := get(t, hc, b.url+"/admin/orders/"+p.OutTradeNo, http.StatusOK)
	refundNo := refundNoField.FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {csrf}, "refund_no": {refundNo}, "amount": {"1.00"}, "reason": {"console test"}}
	for i := 0; i < 2; i++ { // a double submit refunds once
		if resp := postForm(t, hc, b.url+"/admin/orders/"+p.OutTradeNo+"/refund", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("refund: %d", resp.StatusCode)
		}
	}
	page = get(t, hc, b.url+"/admin/orders/"+p.OutTradeNo+"?done=refund", http.StatusOK)
	for _, want := range []string{"Refund submitted.", "refund " + refundNo, "1.00 yuan · succeeded", "refund.succeeded", "alipay.trade.refund", "signature verified"} {
		if !strings.Contains(page, want) {
			t.Errorf("order page lacks %q", want)
		}
	}
	if o, _ := b.store.GetOrder(t.Context(), p.OutTradeNo); o.RefundedAmount != 100 || o.Status != payment.StatusPaid {
		t.Fatalf("after refund: %s refunded %s", o.Status, o.RefundedAmount)
	}
	form.Set("refund_no", "console-too-much")
	form.Set("amount", "9.00")
	if resp := postForm(t, hc, b.url+"/admin/orders/"+p.OutTradeNo+"/refund", form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("refund above the refundable amount: %d, want 422", resp.StatusCode)
	}

	// Clients: create shows the secret once; disable refuses its requests.
	resp := postForm(t, hc, b.url+"/admin/clients/"+b.appID+"/disable", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if _, err := b.client.Query(t.Context(), p.OutTradeNo, client.QueryOptions{}); err == nil {
		t.Fatal("a disabled client's request succeeded")
	}
	hc.CheckRedirect = nil
	created, err := hc.PostForm(b.url+"/admin/clients", url.Values{"csrf": {csrf}, "name": {"kiosk 7"}})
	if err != nil || created.StatusCode != http.StatusOK {
		t.Fatalf("create client: %v %v", created, err)
	}
	created.Body.Close()
}
