package payment

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Amount is a sum of money in fen (1/100 yuan). Strings such as "9.90" exist only at the
// edges of the program; everything inside works on this integer.
type Amount int64

// Bounds of an order amount, as Alipay accepts them: 0.01 to 100000000.00 yuan.
const (
	MinAmount Amount = 1
	MaxAmount Amount = 100000000_00
)

// ParseAmount reads a yuan amount written as `^\d{1,9}(\.\d{1,2})?$` ("9.9", "9.90", "10").
// It does not check the order range; see CheckOrderAmount. Errors are INVALID_PARAMETER.
func ParseAmount(s string) (Amount, error) {
	bad := Errorf(CodeInvalidParameter, "amount %q: want yuan with at most two decimals, e.g. \"9.90\"", truncate(s, 32))
	intPart, frac, hasDot := strings.Cut(s, ".")
	if len(intPart) < 1 || len(intPart) > 9 || !allDigits(intPart) {
		return 0, bad
	}
	if hasDot && (len(frac) < 1 || len(frac) > 2 || !allDigits(frac)) {
		return 0, bad
	}
	yuan, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, bad
	}
	var fen int64
	switch len(frac) {
	case 1:
		fen = int64(frac[0]-'0') * 10
	case 2:
		fen = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	return Amount(yuan*100 + fen), nil
}

// CheckOrderAmount reports whether a is inside Alipay's order range.
func CheckOrderAmount(field string, a Amount) error {
	if a < MinAmount || a > MaxAmount {
		return Errorf(CodeInvalidParameter, "%s must be between 0.01 and 100000000.00", field)
	}
	return nil
}

// String formats the amount in yuan with exactly two decimals, as Alipay writes it.
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalJSON writes the amount as a JSON string "9.90".
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON accepts only a JSON string in the ParseAmount format.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(CodeInvalidParameter, "amount must be a string such as \"9.90\"")
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
