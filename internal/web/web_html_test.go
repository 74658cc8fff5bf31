package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// voidElements never have an end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// checkBalanced fails unless every element of doc is closed, in order, and the document
// is <!doctype html> with one <html>.
func checkBalanced(t *testing.T, name, doc string) {
	t.Helper()
	if !strings.HasPrefix(doc, "<!doctype html>") {
		t.Errorf("%s: no doctype", name)
	}
	z := html.NewTokenizer(strings.NewReader(doc))
	var stack []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Errorf("%s: %v", name, z.Err())
			}
			if len(stack) > 0 {
				t.Errorf("%s: unclosed elements at the end: %v", name, stack)
			}
			return
		case html.StartTagToken:
			tag, _ := z.TagName()
			if !voidElements[string(tag)] {
				stack = append(stack, string(tag))
			}
		case html.SelfClosingTagToken:
			tag, _ := z.TagName()
			if !voidElements[string(tag)] && string(tag) != "svg" {
				t.Errorf("%s: self-closing non-void <%s/>", name, tag)
			}
		case html.EndTagToken:
			tag, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(tag) {
				t.Errorf("%s: </%s> does not close the open element (open: %v)", name, tag, stack)
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
}

func checkSecurityHeaders(t *testing.T, name string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %s", name, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP allows unsafe code: %q", name, csp)
	}
	referrer := "no-referrer" // the cashier's URL holds its token
	if strings.Contains(name, "order") || strings.Contains(name, "dashboard") || strings.Contains(name, "clients") || name == "login" {
		referrer = "same-origin"
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": referrer, "X-Frame-Options": "DENY"} {
		if h.Get(k) != v {
			t.Errorf("%s: %s = %q, want %q", name, k, h.Get(k), v)
		}
	}
}

// login logs hc in and returns the session's CSRF token (read from the dashboard).
func login(t *testing.T, b *testBundle, hc *http.Client) string {
	t.Helper()
	page := get(t, hc, b.url+"/admin/login", http.StatusOK)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("login form has no CSRF token")
	}
	resp := postForm(t, hc, b.url+"/admin/login", url.Values{"csrf": {m[1]}, "password": {adminPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	dash := get(t, hc, b.url+"/admin", http.StatusOK)
	m = csrfField.FindStringSubmatch(dash)
	if m == nil {
		t.Fatal("dashboard has no CSRF token")
	}
	return m[1]
}

func get(t *testing.T, hc *http.Client, u string, want int) string {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", u, resp.StatusCode, want, b)
	}
	return string(b)
}

func postForm(t *testing.T, hc *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	resp, err := hc.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestPagesValidAndSecured renders every page (cashier in both languages and every state,
// console pages, error pages) and checks tag balance and security headers.
func TestPagesValidAndSecured(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	pending := b.order(t, "9.90")
	paid := b.order(t, "5.00")
	b.pay(t, paid.OutTradeNo)
	b.waitStatus(t, paid.OutTradeNo, "paid")
	login(t, b, hc)
	pages := map[string]struct {
		url, lang string
		status    int
		contains  string
	}{
		"cashier zh":      {pending.CashierURL, "zh-CN,zh;q=0.9", 200, "等待付款"},
		"cashier en":      {pending.CashierURL, "en-US,en;q=0.9,zh;q=0.5", 200, "Waiting for payment"},
		"cashier paid":    {paid.CashierURL, "", 200, `data-state="paid"`},
		"cashier unknown": {b.url + "/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", 404, "订单不存在"},
		"dashboard":       {b.url + "/admin", "", 200, `<svg id="chart"`},
		"orders":          {b.url + "/admin/orders?status=paid", "", 200, paid.OutTradeNo},
		"orders bad date": {b.url + "/admin/orders?from=yesterday", "", 400, "from must be a date"},
		"order":           {b.url + "/admin/orders/" + paid.OutTradeNo, "", 200, "payment.succeeded"},
		"order unknown":   {b.url + "/admin/orders/nope", "", 404, "No order"},
		"clients":         {b.url + "/admin/clients", "", 200, b.appID},
	}
	for name, p := range pages {
		req, _ := http.NewRequest(http.MethodGet, p.url, nil)
		if p.lang != "" {
			req.Header.Set("Accept-Language", p.lang)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != p.status || !strings.Contains(string(body), p.contains) {
			t.Errorf("%s: status %d (want %d), contains %q: %v", name, resp.StatusCode, p.status, p.contains, strings.Contains(string(body), p.contains))
		}
		checkBalanced(t, name, string(body))
		checkSecurityHeaders(t, name, resp.Header)
	}
	// The login page of a fresh visitor, too.
	resp, err := http.Get(b.url + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkBalanced(t, "login", string(body))
	checkSecurityHeaders(t, "login", resp.Header)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("console Cache-Control %q", cc)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	m := csrfField.FindStringSubmatch(get(t, hc, b.url+"/admin/login", http.StatusOK))
	resp := postForm(t, hc, b.url+"/admin/login", url.Values{"csrf": {m[1]}, "password": {adminPassword}})
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == "f2fpay_admin" && c.Value != "" {
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/admin" || c.Secure {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/admin, not Secure on plain HTTP", c)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
}
