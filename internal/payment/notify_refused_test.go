package payment_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestKeepHead: the kept start of an unverified body is valid UTF-8 without NUL and never
// longer than asked, however the body is broken or where the cut falls.
func TestKeepHead(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "a=1&b=2", 16, "a=1&b=2"},
		{"cut", strings.Repeat("x", 20), 8, strings.Repeat("x", 8)},
		{"character cut in half", "ab中", 4, "ab"},
		{"invalid bytes grow, cut again", "\xffa\xffa\xffa", 5, "\uFFFDa"},
		{"NUL", "a\x00b", 8, "a\uFFFDb"},
		{"empty", "", 8, ""},
	} {
		got := payment.KeepHead(tc.in, tc.n)
		if got != tc.want || len(got) > tc.n || !utf8.ValidString(got) || strings.Contains(got, "\x00") {
			t.Errorf("%s: KeepHead(%q, %d) = %q, want %q", tc.name, tc.in, tc.n, got, tc.want)
		}
	}
}
