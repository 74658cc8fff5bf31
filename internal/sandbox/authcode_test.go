package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// TestAuthCodeAPI: POST /sandbox/api/auth-codes → 201 with an 18-digit code starting
// 25–30, valid 60 s; the confirm route's refusals.
func TestAuthCodeAPI(t *testing.T) {
	b := setup(t, Config{})
	digits := regexp.MustCompile(`^(2[5-9]|30)[0-9]{16}$`)
	seen := map[string]bool{}
	for _, behaviour := range []string{"pay", "password", "insufficient_balance", ""} {
		resp := postJSON(t, b.srv.URL+"/sandbox/api/auth-codes", `{"behaviour":"`+behaviour+`","buyer_logon_id":"13800000000"}`)
		var out AuthCode
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("%q: %d %v", behaviour, resp.StatusCode, err)
		}
		if !digits.MatchString(out.AuthCode) || seen[out.AuthCode] || !out.ExpiresAt.Equal(b.clock.Now().Add(60*time.Second)) {
			t.Fatalf("%q: %+v", behaviour, out)
		}
		seen[out.AuthCode] = true
		if behaviour == "" && out.Behaviour != BehaviourPay {
			t.Fatalf("default behaviour %q", out.Behaviour)
		}
	}
	if resp := postJSON(t, b.srv.URL+"/sandbox/api/auth-codes", `{"behaviour":"steal"}`); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad behaviour: %d", resp.StatusCode)
	}
	pay := newCode(t, b, BehaviourPay)
	pw := newCode(t, b, BehaviourPassword)
	for path, want := range map[string]int{
		"/sandbox/api/auth-codes/289999999999999999/confirm": http.StatusNotFound,
		"/sandbox/api/auth-codes/" + pay + "/confirm":        http.StatusConflict, // needs no confirmation
		"/sandbox/api/auth-codes/" + pw + "/confirm":         http.StatusConflict, // not charged yet
	} {
		if resp := postJSON(t, b.srv.URL+path, `{}`); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if resp := postJSON(t, b.srv.URL+"/sandbox/api/auth-codes/"+pw+"/confirm", `{"outcome":"maybe"}`); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad outcome: %d", resp.StatusCode)
	}
	// the buyer named on the code is the trade's buyer
	code, _ := b.sb.NewAuthCode(BehaviourPay, "13800000000")
	r, err := b.client.TradePay(ctx, barPay("AC1", "1.00", code.AuthCode))
	if err != nil || r.BuyerLogonId != "138****0000" {
		t.Fatalf("buyer on the code: %v %+v", err, r)
	}
}

// TestAuthCodesSwept: codes are forgotten an hour on, unless a trade still waits on one.
func TestAuthCodesSwept(t *testing.T) {
	b := setup(t, Config{})
	idle := newCode(t, b, BehaviourPay)
	waiting := newCode(t, b, BehaviourPassword)
	if r, _ := b.client.TradePay(ctx, barPay("SW1", "1.00", waiting)); r.Code != "10003" {
		t.Fatalf("pay: %+v", r)
	}
	b.clock.Advance(61 * time.Minute)
	b.sb.sweep()
	b.sb.mu.Lock()
	_, idleKept := b.sb.codes[idle]
	_, waitingKept := b.sb.codes[waiting]
	b.sb.mu.Unlock()
	if idleKept || !waitingKept {
		t.Fatalf("idle kept %v, waiting kept %v", idleKept, waitingKept)
	}
}
