package sandbox

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// signContent builds Alipay's string-to-sign: every parameter except those in skip and
// those with an empty value, sorted by key, joined as k=v with '&', values raw.
func signContent(params map[string]string, skip ...string) string {
	keys := make([]string, 0, len(params))
outer:
	for k, v := range params {
		if v == "" {
			continue
		}
		for _, sk := range skip {
			if k == sk {
				continue outer
			}
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// hashFor maps sign_type to the hash: RSA2 is SHA256withRSA, RSA is SHA1withRSA.
func hashFor(signType string) (crypto.Hash, bool) {
	switch signType {
	case "RSA2":
		return crypto.SHA256, true
	case "RSA":
		return crypto.SHA1, true
	}
	return 0, false
}

func digest(h crypto.Hash, data []byte) []byte {
	if h == crypto.SHA1 {
		d := sha1.Sum(data)
		return d[:]
	}
	d := sha256.Sum256(data)
	return d[:]
}

func rsaSign(key *rsa.PrivateKey, h crypto.Hash, data []byte) string {
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest(h, data))
	if err != nil {
		panic(err) // only fails for keys too small for the hash, which we never create
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func rsaVerify(pub *rsa.PublicKey, h crypto.Hash, data []byte, sigB64 string) bool {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return false
	}
	return rsa.VerifyPKCS1v15(pub, h, digest(h, data), sig) == nil
}

// field is one key of a response node; node keeps Alipay's key order.
type field struct {
	k string
	v any
}

type node []field

func (n node) bytes() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		b.Write(k)
		b.WriteByte(':')
		b.Write(marshalCompact(f.v))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// marshalCompact encodes v as JSON without HTML escaping (as Alipay writes it).
func marshalCompact(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`""`)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}

var codeMsg = map[string]string{
	"10000": "Success",
	"20000": "Service Currently Unavailable",
	"40001": "Missing Required Arguments",
	"40002": "Invalid Arguments",
	"40003": "Insufficient Conditions",
	"40004": "Business Failed",
	"40005": "Call Limited",
	"40006": "Insufficient Permissions",
}

func okNode(extra ...field) node {
	return append(node{{"code", "10000"}, {"msg", "Success"}}, extra...)
}

func errNode(code, subCode, subMsg string, extra ...field) node {
	return append(node{{"code", code}, {"msg", codeMsg[code]}, {"sub_code", subCode}, {"sub_msg", subMsg}}, extra...)
}

func bizErr(subCode, subMsg string, extra ...field) node {
	return errNode("40004", subCode, subMsg, extra...)
}

// writeEnvelope writes Alipay's canonical response: compact, the node first, then
// alipay_cert_sn (cert mode only), then sign over the node's exact bytes. HTTP 200 always.
func (s *Sandbox) writeEnvelope(w http.ResponseWriter, name string, n node, h crypto.Hash, certSN string) {
	nb := n.bytes()
	var b bytes.Buffer
	b.WriteString(`{"`)
	b.WriteString(name)
	b.WriteString(`":`)
	b.Write(nb)
	if certSN != "" {
		b.WriteString(`,"alipay_cert_sn":"`)
		b.WriteString(certSN)
		b.WriteByte('"')
	}
	b.WriteString(`,"sign":"`)
	b.WriteString(s.sign(s.signingKey(certSN), h, nb))
	b.WriteString(`"}`)
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

const hashSHA256 = crypto.SHA256
