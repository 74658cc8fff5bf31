package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestChargeCLI runs `f2fpay charge` against a demo with the simulator's payment codes: a
// code that pays (exit 0, PAID), a buyer who cancels the password prompt (the charge is
// cancelled at its 10 s deadline: exit 1, NOT PAID) and a buyer short of money (exit 1,
// DECLINED with Alipay's reason). -v shows each till screen.
func TestChargeCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a demo and waits out a 10 s charge deadline; skipped in -short")
	}
	dir := t.TempDir()
	demo := runDemoForTest(t, dir)
	code := func(behaviour string) string {
		var c struct {
			AuthCode string `json:"auth_code"`
		}
		if st := demo.sandbox("POST", "/sandbox/api/auth-codes", map[string]string{"behaviour": behaviour}, &c); st != 201 {
			t.Fatalf("auth code: HTTP %d", st)
		}
		return c.AuthCode
	}
	charge := func(authCode string, extra ...string) (int, string) {
		out, errOut := &testbin.Buffer{}, &testbin.Buffer{}
		args := append([]string{"charge", "--demo", filepath.Join(dir, "demo.json"), "--amount", "9.90",
			"--subject", "Cola", "--auth-code", authCode}, extra...)
		st := run(t.Context(), args, out, errOut)
		t.Logf("$ f2fpay %s\n%s%s(exit %d)", strings.Join(args, " "), errOut.String(), out.String(), st)
		return st, out.String()
	}

	if st, out := charge(code("pay")); st != 0 || !strings.HasPrefix(out, "PAID  ¥9.90  Cola") || !strings.Contains(out, "Alipay trade 20") {
		t.Errorf("pay: exit %d\n%s", st, out)
	}

	pw := code("password")
	go func() {
		// The buyer sees the password prompt and cancels it.
		testutil.Eventually(0, func() bool {
			return demo.sandbox("POST", "/sandbox/api/auth-codes/"+pw+"/confirm", map[string]string{"outcome": "cancel"}, nil) == 200
		})
	}()
	if st, out := charge(pw, "--timeout-seconds", "10"); st != 1 || !strings.HasPrefix(out, "NOT PAID") || !strings.Contains(out, "cancelled") {
		t.Errorf("password then cancel: exit %d\n%s", st, out)
	}

	if st, out := charge(code("insufficient_balance")); st != 1 || !strings.HasPrefix(out, "DECLINED") || !strings.Contains(out, "ACQ.BUYER_BALANCE_NOT_ENOUGH") {
		t.Errorf("insufficient balance: exit %d\n%s", st, out)
	}
	if st, _ := charge("12ab"); st != 1 {
		t.Errorf("a malformed code: exit %d, want 1", st)
	}
}
