package wechatpay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuthScheme is the authentication type of APIv3's Authorization header, and the value of
// the Wechatpay-Signature-Type header on answers and notifications.
const AuthScheme = "WECHATPAY2-SHA256-RSA2048"

// RequestMessage is APIv3's string to sign for a request: five lines, each ending in "\n",
// the last one included. canonicalURL is the path with its query string ("/v3/pay/…?mchid=…"),
// as sent; body is the exact JSON sent, empty for GET.
func RequestMessage(method, canonicalURL, timestamp, nonce string, body []byte) string {
	return method + "\n" + canonicalURL + "\n" + timestamp + "\n" + nonce + "\n" + string(body) + "\n"
}

// ResponseMessage is the string WeChat Pay signs on an answer or a notification: timestamp,
// nonce and the raw body, each line ending in "\n" (an empty body leaves just "\n").
func ResponseMessage(timestamp, nonce string, body []byte) string {
	return timestamp + "\n" + nonce + "\n" + string(body) + "\n"
}

// Sign computes SHA256withRSA (PKCS #1 v1.5) over message and returns it in standard base64,
// the signature value of both Authorization and Wechatpay-Signature.
func Sign(key *rsa.PrivateKey, message string) (string, error) {
	if key == nil {
		return "", errors.New("wechatpay: sign: no private key")
	}
	sum := sha256.Sum256([]byte(message))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("wechatpay: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifySignature checks a base64 SHA256withRSA signature over message. It returns
// ErrSignature (wrapped) when the signature is not base64 or does not match.
func VerifySignature(pub *rsa.PublicKey, message, signature string) error {
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: signature is not base64", ErrSignature)
	}
	sum := sha256.Sum256([]byte(message))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("%w: signature does not match", ErrSignature)
	}
	return nil
}

// NewNonce returns a random 32-character upper-case hex string, the form of nonce_str in
// WeChat Pay's examples.
func NewNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// Authorization is the credential of one APIv3 request.
type Authorization struct {
	MchID     string // mchid: the merchant making the request
	NonceStr  string // nonce_str
	Timestamp string // timestamp: Unix seconds
	SerialNo  string // serial_no: the merchant API certificate that signed
	Signature string // signature over RequestMessage, base64
}

// String formats the Authorization header value, fields in the order WeChat Pay's own SDKs
// write them (the server accepts any order).
func (a Authorization) String() string {
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"`,
		AuthScheme, a.MchID, a.NonceStr, a.Timestamp, a.SerialNo, a.Signature)
}

// ParseAuthorization reads an Authorization header value: the scheme, then key="value"
// pairs separated by commas (spaces around them allowed) in any order. Each of mchid,
// nonce_str, timestamp, serial_no and signature must appear exactly once and be non-empty;
// other keys are refused, and so is a timestamp that is not decimal seconds.
func ParseAuthorization(v string) (Authorization, error) {
	rest, ok := strings.CutPrefix(v, AuthScheme+" ")
	if !ok {
		return Authorization{}, fmt.Errorf("authorization scheme: want %s", AuthScheme)
	}
	var a Authorization
	fields := map[string]*string{"mchid": &a.MchID, "nonce_str": &a.NonceStr, "timestamp": &a.Timestamp,
		"serial_no": &a.SerialNo, "signature": &a.Signature}
	seen := map[string]bool{}
	for i, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
			// The pair is not echoed: it may hold the signature, which stays out of logs.
			return Authorization{}, fmt.Errorf("authorization: pair %d is not key=\"value\"", i+1)
		}
		dst, known := fields[k]
		if !known || seen[k] {
			return Authorization{}, fmt.Errorf("authorization: unexpected or repeated key %q", truncate(k, 20))
		}
		seen[k] = true
		*dst = val[1 : len(val)-1]
		if *dst == "" || strings.Contains(*dst, `"`) {
			return Authorization{}, fmt.Errorf("authorization: empty or quoted %s", k)
		}
	}
	if len(seen) != len(fields) {
		return Authorization{}, errors.New("authorization: want mchid, nonce_str, timestamp, serial_no and signature")
	}
	if _, err := parseUnix(a.Timestamp); err != nil {
		return Authorization{}, fmt.Errorf("authorization: %w", err)
	}
	return a, nil
}

// Signer signs requests for one merchant with its API private key.
type Signer struct {
	MchID    string
	SerialNo string // the merchant API certificate's serial number
	Key      *rsa.PrivateKey
}

// Authorize builds the Authorization header value of a request sent at now.
func (s Signer) Authorize(method, canonicalURL string, body []byte, now time.Time) (string, error) {
	if s.MchID == "" || s.SerialNo == "" {
		return "", errors.New("wechatpay: signer needs a mchid and a certificate serial")
	}
	a := Authorization{MchID: s.MchID, NonceStr: NewNonce(), Timestamp: strconv.FormatInt(now.Unix(), 10), SerialNo: s.SerialNo}
	sig, err := Sign(s.Key, RequestMessage(method, canonicalURL, a.Timestamp, a.NonceStr, body))
	if err != nil {
		return "", err
	}
	a.Signature = sig
	return a.String(), nil
}

// parseUnix reads decimal Unix seconds as WeChat Pay writes them (no sign, at most 12 digits).
func parseUnix(s string) (time.Time, error) {
	if s == "" || len(s) > 12 || strings.TrimLeft(s, "0123456789") != "" {
		return time.Time{}, errors.New("timestamp: want Unix seconds")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, errors.New("timestamp: want Unix seconds")
	}
	return time.Unix(n, 0), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
