package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"time"
)

// rsaFamilyOID is the PKCS #1 signature arc: md5/sha1/sha224/sha256/sha384/sha512WithRSA,
// RSASSA-PSS. The root SN is computed over the certificates signed in this family.
const rsaFamilyOID = "1.2.840.113549.1.1"

// rsaFamilySigned reports whether a certificate's signature algorithm OID, written as
// dotted text, starts with rsaFamilyOID: the official SDKs compare the text that way, so
// a SHA-384- or SHA-512-with-RSA certificate counts and an ECDSA or SM2 one does not
// (docs/sandbox.md, "Certificates").
func rsaFamilySigned(c *x509.Certificate) bool {
	var outer struct {
		TBS asn1.RawValue
		Alg pkix.AlgorithmIdentifier
		Sig asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.Raw, &outer); err != nil {
		return false
	}
	return strings.HasPrefix(outer.Alg.Algorithm.String(), rsaFamilyOID)
}

// mixedRoot is the extra root of Config.MixedRootBundle: self-signed with
// SHA-512-with-RSA over the sandbox root key, so one key issues under both RSA roots.
func mixedRoot(rootKey *rsa.PrivateKey, now time.Time) (*x509.Certificate, []byte, error) {
	tpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{Country: []string{"CN"},
		Organization: []string{"f2fpay Sandbox"}, OrganizationalUnit: []string{"Certification Authority"},
		CommonName: "f2fpay Sandbox Root CA R2"}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(30, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SignatureAlgorithm: x509.SHA512WithRSA}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, der, err
}
