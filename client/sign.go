package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// Sign returns the lowercase hex X-Signature of a merchant API request (docs/api.md, "Authentication"):
//
//	HMAC-SHA256(secret, METHOD "\n" PATH "\n" CANONICAL_QUERY "\n" X-Timestamp "\n" X-Nonce "\n" hex(sha256(body)))
//
// escapedPath is the path as sent on the wire, without the query; rawQuery is the query
// string as sent (without "?"), canonicalised here by CanonicalQuery. For a request
// without a body, body is nil (its hash is that of the empty string).
func Sign(secret, method, escapedPath, rawQuery string, timestamp, nonce string, body []byte) string {
	q, _ := url.ParseQuery(rawQuery) // the server refuses a malformed query anyway
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(StringToSign(method, escapedPath, CanonicalQuery(q), timestamp, nonce, body)))
	return hex.EncodeToString(mac.Sum(nil))
}

// StringToSign builds the string that Sign signs, for debugging a signature mismatch.
func StringToSign(method, escapedPath, canonicalQuery, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{method, escapedPath, canonicalQuery, timestamp, nonce, hex.EncodeToString(sum[:])}, "\n")
}

// CanonicalQuery renders query parameters for signing: every key=value pair (a key with
// several values gives several pairs), sorted by key and then by value, comparing the
// decoded bytes; each key and value percent-encoded per RFC 3986 (unreserved A-Z a-z 0-9
// - . _ ~ kept, every other byte as %XX with upper-case hex, so a space is %20); joined
// with "&". No parameters give the empty string.
func CanonicalQuery(q url.Values) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, pair{k, v})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = encode(p.k) + "=" + encode(p.v)
	}
	return strings.Join(parts, "&")
}

func encode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ('A' <= ch && ch <= 'Z') || ('a' <= ch && ch <= 'z') || ('0' <= ch && ch <= '9') ||
			ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[ch>>4])
		b.WriteByte(hexDigits[ch&15])
	}
	return b.String()
}
