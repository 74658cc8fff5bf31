package client_test

import (
	"net/url"
	"testing"

	"github.com/f2fpay/f2fpay/client"
)

// The expected signatures were computed independently with openssl, e.g.
// printf 'GET\n/api/v1/payment/list\n…' | openssl dgst -sha256 -hmac sk_test.
func TestSignGoldenVectors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, method, path, query, body, want string
	}{
		{"get with query", "GET", "/api/v1/payment/list", "status=paid&limit=10&b=a%20b&a=2&a=1&x=%7E+y", "",
			"6c7632709152bedd3ad8ea832c297146c0f19e7c23ec412e6b7b190b2bde471c"},
		{"post with body", "POST", "/api/v1/payment/create", "", `{"a":1}`,
			"2eaec54c18cb3614d8059b740b865a81e3480a9e920b61c7f38b29b6f4122cd7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			got := client.Sign("sk_test", tc.method, tc.path, tc.query, "1700000000", "abcdefghijklmnop0123", body)
			if got != tc.want {
				t.Fatalf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	cases := []struct{ raw, want string }{
		{"", ""},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=10&a=1", "a=1&a=10&a=2"}, // values compare as bytes
		{"q=a+b", "q=a%20b"},             // '+' in a form query is a space
		{"q=a%2Bb", "q=a%2Bb"},
		{"k=%E6%B5%8B", "k=%E6%B5%8B"},
		{"x=~-._!*'()", "x=~-._%21%2A%27%28%29"},
		{"flag", "flag="},
		{"a%20b=c", "a%20b=c"},
		{"e=&e=x", "e=&e=x"},
	}
	for _, tc := range cases {
		q, err := url.ParseQuery(tc.raw)
		if err != nil {
			t.Fatalf("ParseQuery(%q): %v", tc.raw, err)
		}
		if got := client.CanonicalQuery(q); got != tc.want {
			t.Errorf("CanonicalQuery(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestNewNonce(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		n := client.NewNonce()
		if len(n) != 32 {
			t.Fatalf("nonce %q has %d characters", n, len(n))
		}
		for _, r := range n {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("nonce %q has %q", n, r)
			}
		}
		if seen[n] {
			t.Fatalf("nonce %q repeated", n)
		}
		seen[n] = true
	}
}
