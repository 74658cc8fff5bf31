package wechatpay

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Headers WeChat Pay puts on its answers and notifications.
const (
	HeaderTimestamp     = "Wechatpay-Timestamp"
	HeaderNonce         = "Wechatpay-Nonce"
	HeaderSignature     = "Wechatpay-Signature"
	HeaderSerial        = "Wechatpay-Serial"
	HeaderSignatureType = "Wechatpay-Signature-Type"
	HeaderRequestID     = "Request-ID"
)

// MaxClockSkew is how far a signed timestamp may be from now, either way: WeChat Pay's
// SDKs refuse answers and notifications older (or newer) than five minutes.
const MaxClockSkew = 5 * time.Minute

// PublicKeyIDPrefix starts the id of a WeChat Pay public key ("PUB_KEY_ID_…"), which
// Wechatpay-Serial carries in public-key mode instead of a certificate serial.
const PublicKeyIDPrefix = "PUB_KEY_ID_"

// ErrSignature is wrapped by every failure to authenticate a message from WeChat Pay: a
// missing header, an unknown serial, a timestamp out of MaxClockSkew, a bad signature.
var ErrSignature = errors.New("wechatpay: signature verification failed")

// Verifier holds the keys WeChat Pay signs with, by the id Wechatpay-Serial names: the
// WeChat Pay public key under its PUB_KEY_ID_…, platform certificates under their serials.
// It is safe for concurrent use.
type Verifier struct {
	mu    sync.RWMutex
	keys  map[string]verifyKey
	first string
}

type verifyKey struct {
	pub                 *rsa.PublicKey
	notBefore, notAfter time.Time // zero for a bare public key
}

// NewVerifier returns an empty Verifier; add keys before use.
func NewVerifier() *Verifier { return &Verifier{keys: map[string]verifyKey{}} }

// AddPublicKey trusts pub under id (the PUB_KEY_ID_… shown with the key on the merchant
// platform). It fails on an empty id.
func (v *Verifier) AddPublicKey(id string, pub *rsa.PublicKey) error {
	if id == "" || pub == nil {
		return errors.New("wechatpay: a public key needs its id")
	}
	v.add(id, verifyKey{pub: pub})
	return nil
}

// AddCertificate trusts a platform certificate under its serial, within its validity dates.
func (v *Verifier) AddCertificate(cert *x509.Certificate) error {
	pub, err := certKey(cert)
	if err != nil {
		return err
	}
	v.add(CertificateSerial(cert), verifyKey{pub: pub, notBefore: cert.NotBefore, notAfter: cert.NotAfter})
	return nil
}

func (v *Verifier) add(id string, k verifyKey) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.keys[id] = k
	if v.first == "" {
		v.first = id
	}
}

// Serial is the id of the first key added, which requests announce in Wechatpay-Serial so
// that WeChat Pay signs its answer with a key this Verifier holds; "" when empty.
func (v *Verifier) Serial() string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.first
}

// Verify authenticates a message from WeChat Pay (an answer, or a notification) from its
// headers and raw body at time now. Errors wrap ErrSignature and name the reason, never the
// signature itself.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) error {
	serial := strings.TrimSpace(h.Get(HeaderSerial))
	sig := strings.TrimSpace(h.Get(HeaderSignature))
	ts := strings.TrimSpace(h.Get(HeaderTimestamp))
	nonce := strings.TrimSpace(h.Get(HeaderNonce))
	if serial == "" || sig == "" || ts == "" || nonce == "" {
		return fmt.Errorf("%w: missing Wechatpay-Serial, -Signature, -Timestamp or -Nonce", ErrSignature)
	}
	if t := h.Get(HeaderSignatureType); t != "" && t != AuthScheme {
		return fmt.Errorf("%w: signature type %q", ErrSignature, truncate(t, 40))
	}
	at, err := parseUnix(ts)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if d := now.Sub(at); d > MaxClockSkew || d < -MaxClockSkew {
		return fmt.Errorf("%w: timestamp %s is more than %s from now", ErrSignature, ts, MaxClockSkew)
	}
	v.mu.RLock()
	k, ok := v.keys[serial]
	v.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: unknown Wechatpay-Serial %q", ErrSignature, truncate(serial, 64))
	}
	if !k.notAfter.IsZero() && (now.Before(k.notBefore) || now.After(k.notAfter)) {
		return fmt.Errorf("%w: platform certificate %s is not valid now", ErrSignature, serial)
	}
	return VerifySignature(k.pub, ResponseMessage(ts, nonce, body), sig)
}
