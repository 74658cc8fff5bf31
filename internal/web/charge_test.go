package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// TestConsoleChargeForm: the charge form refuses an unknown client, a bad amount and a
// malformed code without writing an order; a code a scanner typed with spaces is charged;
// the same form posted twice charges once.
func TestConsoleChargeForm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hc := browserClient()
	csrf := login(t, b, hc)
	form := func(client, amount, code, no string) url.Values {
		return url.Values{"csrf": {csrf}, "client": {client}, "amount": {amount}, "subject": {"Cola"}, "auth_code": {code}, "out_trade_no": {no}}
	}
	code, err := b.sb.NewAuthCode(sandbox.BehaviourPay, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		values url.Values
		status int
	}{
		{"unknown client", form("nobody", "9.90", code.AuthCode, "console_f1"), http.StatusBadRequest},
		{"bad amount", form(b.appID, "9.999", code.AuthCode, "console_f2"), http.StatusBadRequest},
		{"malformed code", form(b.appID, "9.90", "12ab", "console_f3"), http.StatusBadRequest},
	} {
		if resp := postForm(t, hc, b.url+"/admin/charge", c.values); resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
		}
		if _, err := b.store.GetOrder(t.Context(), c.values.Get("out_trade_no")); err == nil {
			t.Errorf("%s left an order", c.name)
		}
	}
	spaced := code.AuthCode[:6] + " " + code.AuthCode[6:12] + " " + code.AuthCode[12:] + "\n"
	for range 2 {
		resp := postForm(t, hc, b.url+"/admin/charge", form(b.appID, "9.90", spaced, "console_ok"))
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?done=charge_paid") {
			t.Fatalf("charge: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	o, err := b.store.GetOrder(t.Context(), "console_ok")
	if err != nil || o.Status != payment.StatusPaid || o.Kind != payment.KindBarcode || o.ClientID != b.appID {
		t.Fatalf("order %+v, %v", o, err)
	}
	page := get(t, hc, b.url+"/admin/orders?q=console_ok", http.StatusOK)
	if !strings.Contains(page, `<span class="pill barcode">barcode</span>`) {
		t.Error("the orders list does not mark the barcode order")
	}
}
