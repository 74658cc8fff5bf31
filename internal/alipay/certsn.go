package alipay

import (
	"crypto/md5"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"

	"github.com/smartwalle/alipay/v3"
)

// rsaFamilyOID is the PKCS #1 signature arc: sha1/sha256/sha384/sha512WithRSA and
// RSASSA-PSS. The official SDKs keep the root-bundle certificates whose signature
// algorithm OID, written as dotted text, starts with it; so does rootCertSN.
const rsaFamilyOID = "1.2.840.113549.1.1"

// paramRootCertSN is the request parameter that names the root bundle.
const paramRootCertSN = "alipay_root_cert_sn"

// certSN is Alipay's SN of a certificate: lowercase hex MD5 of the issuer DN (RFC 2253,
// as Go prints it) followed by the serial number in decimal.
func certSN(c *x509.Certificate) string {
	sum := md5.Sum([]byte(c.Issuer.String() + c.SerialNumber.String()))
	return hex.EncodeToString(sum[:])
}

// rsaFamilySigned reports whether c is signed in the RSA family. It reads the OID of the
// certificate's outer signature algorithm rather than Go's SignatureAlgorithm, which names
// only the algorithms Go knows: the SDK we wrap keeps SHA-1 and SHA-256 only, and so
// sends a wrong root SN for a bundle holding a SHA-384 or SHA-512 RSA root.
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

// rootCertSN is alipay_root_cert_sn: the SNs of the bundle's RSA-family certificates, in
// bundle order, joined with "_" ("" when there is none). ECDSA and SM2 roots are left out.
func rootCertSN(bundle []*x509.Certificate) string {
	var sns []string
	for _, c := range bundle {
		if rsaFamilySigned(c) {
			sns = append(sns, certSN(c))
		}
	}
	return strings.Join(sns, "_")
}

// rootSNParam adds alipay_root_cert_sn to a request. The SDK computes that parameter only
// with its own narrower filter and has no setter, but it signs and sends whatever a
// Param's Params() returns; so the root bundle is never loaded into the SDK and every
// certificate-mode request goes out wrapped in this.
type rootSNParam struct {
	alipay.Param
	rootSN string
}

// Params is the wrapped request's parameters plus alipay_root_cert_sn.
func (p rootSNParam) Params() map[string]string {
	m := maps.Clone(p.Param.Params())
	if m == nil {
		m = make(map[string]string, 1)
	}
	m[paramRootCertSN] = p.rootSN
	return m
}

// MarshalJSON keeps biz_content exactly the wrapped request's.
func (p rootSNParam) MarshalJSON() ([]byte, error) { return json.Marshal(p.Param) }

// param prepares p for the SDK: in certificate mode it carries the root SN.
func (c *Channel) param(p alipay.Param) alipay.Param {
	if c.rootSN == "" {
		return p
	}
	return rootSNParam{Param: p, rootSN: c.rootSN}
}
