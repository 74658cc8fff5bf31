package apiauth

import (
	"net/url"
	"strings"
	"testing"
)

// The same vector as client's TestSignGoldenVectors (computed with openssl): the server and
// the client must agree byte for byte without sharing code.
func TestStringToSignGolden(t *testing.T) {
	t.Parallel()
	q, _ := url.ParseQuery("status=paid&limit=10&b=a%20b&a=2&a=1&x=%7E+y")
	cq := CanonicalQuery(q)
	if cq != "a=1&a=2&b=a%20b&limit=10&status=paid&x=~%20y" {
		t.Fatalf("canonical query %q", cq)
	}
	sts := StringToSign("GET", "/api/v1/payment/list", cq, "1700000000", "abcdefghijklmnop0123", nil)
	const sig = "6c7632709152bedd3ad8ea832c297146c0f19e7c23ec412e6b7b190b2bde471c"
	if !VerifyAny([][]byte{[]byte("other"), []byte("sk_test")}, sts, sig) {
		t.Fatal("golden signature refused")
	}
	if VerifyAny([][]byte{[]byte("other")}, sts, sig) {
		t.Fatal("signature accepted under the wrong secret")
	}
	if VerifyAny([][]byte{[]byte("sk_test")}, sts, strings.ToUpper(sig)) {
		t.Fatal("upper-case signature accepted")
	}
	want := "GET\n/api/v1/payment/list\n" + cq + "\n1700000000\nabcdefghijklmnop0123\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if sts != want {
		t.Fatalf("string to sign\n%q\nwant\n%q", sts, want)
	}
}

func TestRFC3986(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":            "",
		"AZaz09-._~":  "AZaz09-._~",
		" ":           "%20",
		"+&=/?#%":     "%2B%26%3D%2F%3F%23%25",
		"测":           "%E6%B5%8B",
		"\x00\xff":    "%00%FF",
		"a b+c":       "a%20b%2Bc",
		"!*'();:@$,[": "%21%2A%27%28%29%3B%3A%40%24%2C%5B",
	} {
		if got := rfc3986(in); got != want {
			t.Errorf("rfc3986(%q) = %q, want %q", in, got, want)
		}
	}
}
