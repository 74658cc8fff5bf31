package wechatpay

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// minKeyBits is the smallest RSA key WECHATPAY2-SHA256-RSA2048 admits.
const minKeyBits = 2048

// ParsePrivateKey reads the merchant's API private key (apiclient_key.pem): PEM in PKCS#8
// ("PRIVATE KEY", as the merchant platform issues it) or PKCS#1 ("RSA PRIVATE KEY"), or the
// bare base64 of either DER. It refuses non-RSA keys and keys under 2048 bits.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := pemOrBase64(s, "PRIVATE KEY", "RSA PRIVATE KEY")
	if err != nil {
		return nil, fmt.Errorf("wechatpay: private key: %w", err)
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("wechatpay: private key: not an RSA key")
		}
		key = rk
	} else if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		key = k
	} else {
		return nil, errors.New("wechatpay: private key: neither PKCS#8 nor PKCS#1")
	}
	if key.N.BitLen() < minKeyBits {
		return nil, fmt.Errorf("wechatpay: private key: %d bits, want at least %d", key.N.BitLen(), minKeyBits)
	}
	return key, nil
}

// ParsePublicKey reads an RSA public key: PEM "PUBLIC KEY" (the WeChat Pay public key file,
// pub_key.pem), "RSA PUBLIC KEY" (PKCS#1), a "CERTIFICATE" (its key), or the bare base64 of a
// PKIX DER. It refuses non-RSA keys and keys under 2048 bits.
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	if strings.Contains(s, "-----BEGIN CERTIFICATE-----") {
		cert, err := ParseCertificate(s)
		if err != nil {
			return nil, err
		}
		return certKey(cert)
	}
	der, err := pemOrBase64(s, "PUBLIC KEY", "RSA PUBLIC KEY")
	if err != nil {
		return nil, fmt.Errorf("wechatpay: public key: %w", err)
	}
	var pub *rsa.PublicKey
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("wechatpay: public key: not an RSA key")
		}
		pub = rk
	} else if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		pub = k
	} else {
		return nil, errors.New("wechatpay: public key: neither PKIX nor PKCS#1")
	}
	if pub.N.BitLen() < minKeyBits {
		return nil, fmt.Errorf("wechatpay: public key: %d bits, want at least %d", pub.N.BitLen(), minKeyBits)
	}
	return pub, nil
}

// ParseCertificate reads one PEM certificate (a platform certificate, or the merchant's
// apiclient_cert.pem). It does not check dates; Verifier does that at each use.
func ParseCertificate(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("wechatpay: certificate: want a PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: certificate: %w", err)
	}
	if _, err := certKey(cert); err != nil {
		return nil, err
	}
	return cert, nil
}

// CertificateSerial is a certificate's serial number as WeChat Pay writes it (serial_no,
// Wechatpay-Serial): upper-case hexadecimal without leading zeros.
func CertificateSerial(cert *x509.Certificate) string {
	return fmt.Sprintf("%X", cert.SerialNumber)
}

// PublicKeyPEM encodes pub as a PEM "PUBLIC KEY" block, the form of WeChat Pay's public key file.
func PublicKeyPEM(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "" // unreachable for an *rsa.PublicKey
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func certKey(cert *x509.Certificate) (*rsa.PublicKey, error) {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("wechatpay: certificate: not an RSA key")
	}
	if pub.N.BitLen() < minKeyBits {
		return nil, fmt.Errorf("wechatpay: certificate: %d-bit key, want at least %d", pub.N.BitLen(), minKeyBits)
	}
	return pub, nil
}

// pemOrBase64 returns the DER inside a PEM block of one of the given types, or the decoded
// bare base64 (whitespace ignored) when s holds no PEM.
func pemOrBase64(s string, types ...string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, errors.New("malformed PEM")
		}
		for _, t := range types {
			if block.Type == t {
				return block.Bytes, nil
			}
		}
		return nil, fmt.Errorf("PEM block %q, want %s", block.Type, strings.Join(types, " or "))
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, errors.New("neither PEM nor base64")
	}
	return der, nil
}
