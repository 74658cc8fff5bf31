package alipay

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/smartwalle/alipay/v3"
)

// keySet is a Config's key material, parsed and checked before the SDK sees it, so that a
// bad key is reported by name instead of as an ASN.1 error from deep inside the SDK.
type keySet struct {
	privateKey string // PKCS#1 DER in base64, the form the SDK parses first
	publicKey  string // public-key mode: PKIX DER in base64
	appCert    []byte // certificate mode: the three PEM documents, trimmed
	alipayCert []byte
	rootCert   []byte
	alipayLeaf *x509.Certificate   // certificate mode: the configured Alipay certificate
	roots      []*x509.Certificate // the parseable certificates of the root bundle
	rootSN     string              // alipay_root_cert_sn, computed here (certsn.go)
}

// loadKeys parses and cross-checks the keys and certificates of cfg.
func loadKeys(cfg Config) (*keySet, error) {
	priv, err := parsePrivateKey(cfg.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("alipay: app private key: %w", err)
	}
	ks := &keySet{privateKey: base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(priv))}

	given := 0
	for _, b := range [][]byte{cfg.AppCertPEM, cfg.AlipayCertPEM, cfg.RootCertPEM} {
		if len(bytes.TrimSpace(b)) > 0 {
			given++
		}
	}
	switch {
	case given > 0 && cfg.AlipayPublicKey != "":
		return nil, errors.New("alipay: set either the Alipay public key (public-key mode) or the three certificates (certificate mode), not both")
	case given > 0 && given < 3:
		return nil, errors.New("alipay: certificate mode needs all three certificates: app public-key certificate, Alipay public-key certificate and Alipay root certificate")
	case given == 0 && cfg.AlipayPublicKey == "":
		return nil, errors.New("alipay: the Alipay public key is required (or the three certificates of certificate mode)")
	case given == 0:
		pub, err := parsePublicKey(cfg.AlipayPublicKey)
		if err != nil {
			return nil, fmt.Errorf("alipay: Alipay public key: %w", err)
		}
		if pub.Equal(&priv.PublicKey) {
			return nil, errors.New("alipay: the Alipay public key is the app's own public key; use the Alipay public key shown next to it on the open platform")
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("alipay: Alipay public key: %w", err)
		}
		ks.publicKey = base64.StdEncoding.EncodeToString(der)
		return ks, nil
	}
	if err := ks.loadCerts(cfg, priv); err != nil {
		return nil, err
	}
	return ks, nil
}

// loadCerts parses the three certificates of certificate mode and computes the root SN.
func (ks *keySet) loadCerts(cfg Config, priv *rsa.PrivateKey) error {
	ks.appCert, ks.alipayCert, ks.rootCert = bytes.TrimSpace(cfg.AppCertPEM), bytes.TrimSpace(cfg.AlipayCertPEM), bytes.TrimSpace(cfg.RootCertPEM)
	appCert, err := firstCert(ks.appCert)
	if err != nil {
		return fmt.Errorf("alipay: app public-key certificate: %w", err)
	}
	if pub, ok := appCert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&priv.PublicKey) {
		return errors.New("alipay: the app private key does not match the public key in the app public-key certificate")
	}
	aliCert, err := firstCert(ks.alipayCert)
	if err != nil {
		return fmt.Errorf("alipay: Alipay public-key certificate: %w", err)
	}
	if _, ok := aliCert.PublicKey.(*rsa.PublicKey); !ok {
		return errors.New("alipay: Alipay public-key certificate: not an RSA key")
	}
	if ks.roots, err = certs(ks.rootCert); err != nil {
		return fmt.Errorf("alipay: Alipay root certificate: %w", err)
	}
	if ks.rootSN = rootCertSN(ks.roots); ks.rootSN == "" {
		return errors.New("alipay: Alipay root certificate: no RSA-signed certificate in the bundle")
	}
	ks.alipayLeaf = aliCert
	return nil
}

// load hands the checked material to the SDK client. The root bundle is not loaded: the
// SDK would compute a wrong root SN for some bundles, so the channel sends its own
// (rootSNParam).
func (ks *keySet) load(client *alipay.Client) error {
	if ks.publicKey != "" {
		if err := client.LoadAliPayPublicKey(ks.publicKey); err != nil {
			return fmt.Errorf("alipay: Alipay public key: %w", err)
		}
		return nil
	}
	if err := client.LoadAppCertPublicKey(string(ks.appCert)); err != nil {
		return fmt.Errorf("alipay: app public-key certificate: %w", err)
	}
	if err := client.LoadAlipayCertPublicKey(string(ks.alipayCert)); err != nil {
		return fmt.Errorf("alipay: Alipay public-key certificate: %w", err)
	}
	return nil
}

// decodeKey returns the DER bytes of a PEM block or of bare base64 (line breaks allowed).
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	if strings.HasPrefix(s, "-----") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, errors.New("not a valid PEM block")
		}
		return block.Bytes, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, errors.New("neither PEM nor base64")
	}
	return der, nil
}

// parsePrivateKey reads an RSA private key in PKCS#1 or PKCS#8.
func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := decodeKey(s)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("not an RSA private key in PKCS#1 or PKCS#8")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key (Alipay RSA2 needs RSA)")
	}
	return rk, nil
}

// parsePublicKey reads an RSA public key in PKIX ("PUBLIC KEY", Alipay's format) or PKCS#1.
func parsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := decodeKey(s)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("not an RSA key (Alipay RSA2 needs RSA)")
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	if _, err := parsePrivateKey(s); err == nil {
		return nil, errors.New("this is a private key; a public key is expected here")
	}
	return nil, errors.New("not an RSA public key")
}

// certs parses every CERTIFICATE block of a PEM bundle, in order.
func certs(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			// Alipay's root bundle carries an SM2 root that Go cannot parse; the SDK skips it too.
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no parseable PEM certificate")
	}
	return out, nil
}

// firstCert returns the leaf: the first certificate of a PEM chain.
func firstCert(b []byte) (*x509.Certificate, error) {
	cs, err := certs(b)
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}
