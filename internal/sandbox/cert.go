package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

const caFile = "ca.json"

// CertBundle is what Alipay's console hands out in certificate mode: the app
// certificate, the Alipay public-key certificate and the root bundle, with their SNs.
type CertBundle struct {
	AppCertPEM, AlipayCertPEM, RootCertPEM []byte
	AppCertSN, AlipayCertSN, RootCertSN    string
}

// certAuthority is the simulator's root CA and the "Alipay" certificate over s.key.
type certAuthority struct {
	RootKeyPEM   string `json:"root_key_pem"`
	RootPEM      string `json:"root_pem"` // RSA root then an ECDSA root (ignored by SN rules)
	AlipayPEM    string `json:"alipay_cert_pem"`
	rootKey      *rsa.PrivateKey
	root, alipay *x509.Certificate // alipay: the first Alipay certificate, over the simulator key
	rootSN       string
	alipaySN     string
	rotated      []*alipayCert          // issued by RotateAlipayCert, oldest first (certrotate.go)
	history      map[string]*alipayCert // every Alipay certificate by SN, the first included
	current      *alipayCert            // the one that signs certificate-mode answers now
}

// certSN is Alipay's SN: lowercase hex MD5 of issuer DN (RFC 2253) + decimal serial.
func certSN(c *x509.Certificate) string {
	sum := md5.Sum([]byte(c.Issuer.String() + c.SerialNumber.String()))
	return hex.EncodeToString(sum[:])
}

// rootCertSN joins the SNs of the RSA-signed certificates of a bundle with "_", keeping
// the whole RSA signature family (rsaFamilySigned), not only SHA-1 and SHA-256.
func rootCertSN(certs []*x509.Certificate) string {
	sn := ""
	for _, c := range certs {
		if !rsaFamilySigned(c) {
			continue
		}
		if sn != "" {
			sn += "_"
		}
		sn += certSN(c)
	}
	return sn
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n.Add(n, big.NewInt(1))
}

func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// caLocked returns the certificate authority, loading or creating it on first use.
func (s *Sandbox) caLocked() (*certAuthority, error) {
	if s.ca != nil {
		return s.ca, nil
	}
	ca := &certAuthority{}
	path := ""
	if s.cfg.DataDir != "" {
		path = filepath.Join(s.cfg.DataDir, caFile)
		if b, err := os.ReadFile(path); err == nil {
			if err := json.Unmarshal(b, ca); err != nil {
				return nil, fmt.Errorf("sandbox: %s: %w", caFile, err)
			}
		}
	}
	if ca.RootPEM == "" {
		if err := s.newCA(ca); err != nil {
			return nil, err
		}
		if path != "" {
			b, _ := json.MarshalIndent(ca, "", "  ")
			if err := writeFileAtomic(path, b); err != nil {
				return nil, err
			}
		}
	}
	if err := ca.parse(); err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", caFile, err)
	}
	if err := s.initAlipayCertsLocked(ca); err != nil {
		return nil, err
	}
	s.ca = ca
	return ca, nil
}

func (s *Sandbox) newCA(ca *certAuthority) error {
	rootKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	now := s.now()
	rootTpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{Country: []string{"CN"},
		Organization: []string{"f2fpay Sandbox"}, OrganizationalUnit: []string{"Certification Authority"},
		CommonName: "f2fpay Sandbox Root CA R1"}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(30, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SignatureAlgorithm: x509.SHA256WithRSA}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTpl, rootTpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		return err
	}
	root, _ := x509.ParseCertificate(rootDER)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	ecTpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{Country: []string{"CN"},
		Organization: []string{"f2fpay Sandbox"}, CommonName: "f2fpay Sandbox Root CA E1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(30, 0, 0), IsCA: true, BasicConstraintsValid: true}
	ecDER, err := x509.CreateCertificate(rand.Reader, ecTpl, ecTpl, &ecKey.PublicKey, ecKey)
	if err != nil {
		return err
	}
	issuer, alg, extra := root, x509.SHA256WithRSA, ""
	if s.cfg.MixedRootBundle { // certchain.go
		r2, r2DER, err := mixedRoot(rootKey, now)
		if err != nil {
			return err
		}
		issuer, alg, extra = r2, x509.SHA384WithRSA, certPEM(r2DER)
	}
	aliTpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{Country: []string{"CN"},
		Organization: []string{"f2fpay Sandbox"}, OrganizationalUnit: []string{"Alipay"},
		CommonName: "f2fpay Sandbox Alipay Public Key"}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, SignatureAlgorithm: alg}
	aliDER, err := x509.CreateCertificate(rand.Reader, aliTpl, issuer, &s.key.PublicKey, rootKey)
	if err != nil {
		return err
	}
	ca.RootKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rootKey)}))
	ca.RootPEM = certPEM(rootDER) + certPEM(ecDER) + extra
	ca.AlipayPEM = certPEM(aliDER)
	return nil
}

func (ca *certAuthority) parse() error {
	key, err := parsePrivateKey([]byte(ca.RootKeyPEM))
	if err != nil {
		return err
	}
	ca.rootKey = key
	var roots []*x509.Certificate
	for rest := []byte(ca.RootPEM); ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return err
		}
		roots = append(roots, c)
	}
	blk, _ := pem.Decode([]byte(ca.AlipayPEM))
	if len(roots) == 0 || blk == nil {
		return fmt.Errorf("incomplete certificate authority")
	}
	if ca.alipay, err = x509.ParseCertificate(blk.Bytes); err != nil {
		return err
	}
	ca.root, ca.rootSN, ca.alipaySN = roots[0], rootCertSN(roots), certSN(ca.alipay)
	return nil
}

// alipayCertSN is the SN of the simulator's Alipay certificate, "" while no certificate
// was ever issued (a request cannot be in valid cert mode then, and a stray app_cert_sn
// must not make the simulator generate a CA).
func (s *Sandbox) alipayCertSN() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ca == nil {
		return ""
	}
	return s.ca.current.sn
}

// loadCA loads a persisted certificate authority at start-up, if there is one.
func (s *Sandbox) loadCA() error {
	if s.cfg.DataDir == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(s.cfg.DataDir, caFile)); err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.caLocked()
	return err
}

// IssueAppCert switches an app to certificate mode: it registers (or re-keys) the app
// with appPublicKey and issues an app certificate signed by the simulator's root. The
// same key gets the same certificate back. Errors: ErrInvalid (bad id/key), I/O errors.
func (s *Sandbox) IssueAppCert(appID string, appPublicKey string) (*CertBundle, error) {
	if err := s.RegisterApp(appID, appPublicKey); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ca, err := s.caLocked()
	if err != nil {
		return nil, err
	}
	a := s.apps[appID]
	if a.CertPEM == "" {
		tpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{Country: []string{"CN"},
			Organization: []string{"f2fpay Sandbox Merchant"}, OrganizationalUnit: []string{"Alipay Application"},
			CommonName: appID}, NotBefore: s.now().Add(-time.Hour), NotAfter: s.now().AddDate(5, 0, 0),
			KeyUsage: x509.KeyUsageDigitalSignature, SignatureAlgorithm: x509.SHA256WithRSA}
		der, err := x509.CreateCertificate(rand.Reader, tpl, ca.root, a.pub, ca.rootKey)
		if err != nil {
			return nil, err
		}
		c, _ := x509.ParseCertificate(der)
		a.CertPEM, a.CertSN = certPEM(der), certSN(c)
		if err := s.saveAppsLocked(); err != nil {
			return nil, err
		}
	}
	return &CertBundle{AppCertPEM: []byte(a.CertPEM), AlipayCertPEM: []byte(ca.current.CertPEM), RootCertPEM: []byte(ca.RootPEM),
		AppCertSN: a.CertSN, AlipayCertSN: ca.current.sn, RootCertSN: ca.rootSN}, nil
}

// checkCertParams enforces certificate mode: an app with a certificate must send
// app_cert_sn and alipay_root_cert_sn matching it; key-mode apps must not send them.
func (s *Sandbox) checkCertParams(req *gwRequest) node {
	appSN, rootSN := req.params["app_cert_sn"], req.params["alipay_root_cert_sn"]
	s.mu.Lock()
	certSN := req.app.CertSN
	var ca *certAuthority
	if certSN != "" {
		ca, _ = s.caLocked()
	}
	s.mu.Unlock()
	switch {
	case certSN == "" && appSN == "" && rootSN == "":
		return nil
	case certSN == "" || (appSN != "" && appSN != certSN):
		return errNode("40002", "isv.app-cert-not-exist", "应用公钥证书不存在")
	case appSN == "":
		return errNode("40001", "isv.missing-app-cert-sn", "缺少应用公钥证书序列号")
	case rootSN == "":
		return errNode("40001", "isv.missing-alipay-root-cert-sn", "缺少支付宝根证书序列号")
	case ca == nil || rootSN != ca.rootSN:
		return errNode("40002", "isv.invalid-alipay-root-cert-sn", "无效支付宝根证书序列号")
	}
	return nil
}

// certDownload implements alipay.open.app.alipaycert.download: any Alipay certificate
// issued so far, the rotated-out ones included, as base64 of its PEM.
func (s *Sandbox) certDownload(req *gwRequest) node {
	sn, ok := req.str("alipay_cert_sn")
	if !ok || sn == "" {
		return invalidParam("参数alipay_cert_sn不能为空")
	}
	s.mu.Lock()
	var c *alipayCert
	if ca, err := s.caLocked(); err == nil {
		c = ca.history[sn]
	}
	s.mu.Unlock()
	if c == nil {
		return bizErr("CERT_NOT_EXIST", "支付宝公钥证书不存在")
	}
	return okNode(field{"alipay_cert_content", base64.StdEncoding.EncodeToString([]byte(c.CertPEM))})
}
