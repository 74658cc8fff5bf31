package wechatpay

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
)

// AlgorithmAES256GCM is the only resource algorithm of APIv3 notifications.
const AlgorithmAES256GCM = "AEAD_AES_256_GCM"

// APIv3KeyLen is the length of the APIv3 key set on the merchant platform: 32 bytes, used
// as the AES-256 key as they are.
const APIv3KeyLen = 32

// gcmNonceLen is the length of resource.nonce: 12 bytes, GCM's standard IV.
const gcmNonceLen = 12

// ErrDecrypt is wrapped when a resource cannot be opened: wrong APIv3 key, tampered
// ciphertext or associated data, malformed base64 or nonce.
var ErrDecrypt = errors.New("wechatpay: resource decryption failed")

// Resource is the encrypted part of a notification (and of a platform certificate).
type Resource struct {
	OriginalType   string `json:"original_type"` // "transaction", "refund"
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"` // base64 of ciphertext || 16-byte tag
	AssociatedData string `json:"associated_data,omitempty"`
	Nonce          string `json:"nonce"`
}

// CheckAPIv3Key reports whether key can be an APIv3 key.
func CheckAPIv3Key(key string) error {
	if len(key) != APIv3KeyLen {
		return fmt.Errorf("wechatpay: the APIv3 key must be %d bytes, got %d", APIv3KeyLen, len(key))
	}
	return nil
}

// Decrypt opens r with the APIv3 key (AEAD_AES_256_GCM: AES-256-GCM, 12-byte nonce,
// associated_data authenticated) and returns the plaintext JSON. Errors wrap ErrDecrypt,
// or name a bad key or algorithm.
func Decrypt(apiV3Key string, r Resource) ([]byte, error) {
	if err := CheckAPIv3Key(apiV3Key); err != nil {
		return nil, err
	}
	if r.Algorithm != AlgorithmAES256GCM {
		return nil, fmt.Errorf("%w: algorithm %q, want %s", ErrDecrypt, truncate(r.Algorithm, 32), AlgorithmAES256GCM)
	}
	return openGCM([]byte(apiV3Key), r)
}

// Encrypt seals plaintext as WeChat Pay does for a notification resource. nonce must be 12
// bytes; WeChat Pay uses 12 random alphanumerics.
func Encrypt(apiV3Key, originalType, associatedData, nonce string, plaintext []byte) (Resource, error) {
	if err := CheckAPIv3Key(apiV3Key); err != nil {
		return Resource{}, err
	}
	aead, err := newGCM([]byte(apiV3Key))
	if err != nil {
		return Resource{}, err
	}
	if len(nonce) != gcmNonceLen {
		return Resource{}, fmt.Errorf("wechatpay: nonce must be %d bytes", gcmNonceLen)
	}
	ct := aead.Seal(nil, []byte(nonce), plaintext, []byte(associatedData))
	return Resource{OriginalType: originalType, Algorithm: AlgorithmAES256GCM,
		Ciphertext: base64.StdEncoding.EncodeToString(ct), AssociatedData: associatedData, Nonce: nonce}, nil
}

// openGCM is Decrypt without the key-length and algorithm checks, so that a test vector
// published with a shorter AES key still exercises the same code.
func openGCM(key []byte, r Resource) ([]byte, error) {
	if len(r.Nonce) != gcmNonceLen {
		return nil, fmt.Errorf("%w: nonce must be %d bytes", ErrDecrypt, gcmNonceLen)
	}
	ct, err := base64.StdEncoding.DecodeString(r.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: ciphertext is not base64", ErrDecrypt)
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(ct) < aead.Overhead() {
		return nil, fmt.Errorf("%w: ciphertext shorter than the tag", ErrDecrypt)
	}
	pt, err := aead.Open(nil, []byte(r.Nonce), ct, []byte(r.AssociatedData))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (wrong APIv3 key or tampered data)", ErrDecrypt)
	}
	return pt, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: AES key: %w", err)
	}
	return cipher.NewGCM(block)
}
