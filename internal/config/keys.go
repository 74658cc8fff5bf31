package config

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParsePrivateKey reads an RSA private key as PEM or bare base64, PKCS#1 or PKCS#8. Its
// errors say which of those the key failed.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := pemOrBase64(s)
	if err != nil {
		return nil, errors.New("the app private key is neither PEM nor base64")
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("the app private key is not an RSA key in PKCS#1 or PKCS#8")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("the app private key is not an RSA key")
	}
	return rk, nil
}

// ParsePublicKey reads an RSA public key as PEM or bare base64 (PKIX).
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := pemOrBase64(s)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return rk, nil
}

func pemOrBase64(s string) ([]byte, error) {
	if b, _ := pem.Decode([]byte(strings.TrimSpace(s))); b != nil {
		return b.Bytes, nil
	}
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
}

// KeyFingerprint names a public key by the first bytes of the SHA-256 of its DER form
// (every RSA-2048 key's base64 starts and ends alike, so a prefix would name nothing).
func KeyFingerprint(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:8])
}

// CheckKeyPair refuses a private key that cannot be read, or that does not belong to
// publicKey when one is given; a mismatch names both keys by fingerprint.
func CheckKeyPair(privateKey, publicKey string) error {
	priv, err := ParsePrivateKey(privateKey)
	if err != nil {
		return err
	}
	if publicKey == "" {
		return nil
	}
	pub, err := ParsePublicKey(publicKey)
	if err != nil {
		return fmt.Errorf("the app public key cannot be read: %v", err)
	}
	if !priv.PublicKey.Equal(pub) {
		return fmt.Errorf("the app private key does not match app public key %s (its private key has public key %s)",
			KeyFingerprint(pub), KeyFingerprint(&priv.PublicKey))
	}
	return nil
}
