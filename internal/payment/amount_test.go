package payment

import (
	"encoding/json"
	"testing"
)

func TestParseAmount(t *testing.T) {
	good := map[string]Amount{"0.01": 1, "9.90": 990, "9.9": 990, "10": 1000, "100000000.00": 10000000000, "000000001.5": 150, "999999999.99": 99999999999}
	for in, want := range good {
		got, err := ParseAmount(in)
		if err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".5", "1.", "1.234", "-1", "+1", "1e3", " 1", "1 ", "0x10", "1,00", "1000000000", "１", "1.2.3", "NaN"} {
		if _, err := ParseAmount(in); ErrorCode(err) != CodeInvalidParameter {
			t.Errorf("ParseAmount(%q) err = %v; want INVALID_PARAMETER", in, err)
		}
	}
}

func TestAmountFormatAndRange(t *testing.T) {
	for a, want := range map[Amount]string{0: "0.00", 1: "0.01", 990: "9.90", 1000: "10.00", -5: "-0.05"} {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q; want %q", int64(a), got, want)
		}
	}
	if CheckOrderAmount("x", 0) == nil || CheckOrderAmount("x", MaxAmount+1) == nil || CheckOrderAmount("x", MaxAmount) != nil {
		t.Error("order range check wrong")
	}
	var a Amount
	if err := json.Unmarshal([]byte(`"12.30"`), &a); err != nil || a != 1230 {
		t.Errorf("unmarshal = %d, %v", a, err)
	}
	if err := json.Unmarshal([]byte(`12.3`), &a); err == nil {
		t.Error("a JSON number was accepted as an amount")
	}
	b, _ := json.Marshal(Amount(5))
	if string(b) != `"0.05"` {
		t.Errorf("marshal = %s", b)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"9.90", "0.01", "1.", "abc", "100000000.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		// Whatever parses must format and parse back to the same fen.
		back, err := ParseAmount(a.String())
		if err != nil || back != a || a < 0 {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, a, a.String(), back, err)
		}
	})
}

func TestTransitions(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusPending, StatusPaid}: true, {StatusPending, StatusClosed}: true,
		{StatusClosed, StatusPaid}: true, {StatusPaid, StatusRefunded}: true,
	}
	all := []Status{StatusPending, StatusPaid, StatusClosed, StatusRefunded}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransition(from, to); got != allowed[[2]Status{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
}

func TestCreateRequestValidate(t *testing.T) {
	ok := CreateRequest{OutTradeNo: "A1_b", TotalAmount: 990, Subject: "测试商品"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(r *CreateRequest){
		"out_trade_no":    func(r *CreateRequest) { r.OutTradeNo = "a-b" },
		"total_amount":    func(r *CreateRequest) { r.TotalAmount = 0 },
		"subject":         func(r *CreateRequest) { r.Subject = "" },
		"subject control": func(r *CreateRequest) { r.Subject = "a\x00b" },
		"body":            func(r *CreateRequest) { r.Body = string(make([]rune, 129)) },
		"timeout_minutes": func(r *CreateRequest) { r.TimeoutMinutes = 1441 },
		"notify_url":      func(r *CreateRequest) { r.NotifyURL = "ftp://x" },
		"metadata":        func(r *CreateRequest) { r.Metadata = map[string]string{"k": "\n"} },
	}
	for name, mutate := range bad {
		r := ok
		mutate(&r)
		if err := r.Validate(); ErrorCode(err) != CodeInvalidParameter {
			t.Errorf("%s: err = %v; want INVALID_PARAMETER", name, err)
		}
	}
}
