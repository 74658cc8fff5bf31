package apiauth

import (
	"regexp"
	"strings"
	"testing"
)

// TestHeaderPatterns: the byte-by-byte header checks accept exactly what the regular
// expressions of docs/api.md accept.
func TestHeaderPatterns(t *testing.T) {
	cases := []struct {
		p  charsPattern
		re string
	}{
		{appIDPattern, `^[A-Za-z0-9_-]{1,64}$`},
		{noncePattern, `^[A-Za-z0-9_-]{16,64}$`},
		{timestampPattern, `^[0-9]{1,12}$`},
		{signaturePattern, `^[0-9a-f]{64}$`},
	}
	inputs := []string{"", "a", "app_x-Y9", "1732900000", "0123456789ab", "0123456789abc", "app id", "app.x", "äpp",
		"app_\n", strings.Repeat("a", 15), strings.Repeat("a", 16), strings.Repeat("a", 64), strings.Repeat("a", 65),
		strings.Repeat("0f", 32), strings.Repeat("0F", 32), strings.Repeat("0f", 32) + "\n", strings.Repeat("g", 64)}
	for _, c := range cases {
		re := regexp.MustCompile(c.re)
		for _, in := range inputs {
			if got, want := c.p.MatchString(in), re.MatchString(in); got != want {
				t.Errorf("%s on %q: %v, want %v", c.re, in, got, want)
			}
		}
	}
}
