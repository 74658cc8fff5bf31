package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// alipayCertsFile keeps the Alipay certificates issued by RotateAlipayCert (the first one
// lives in ca.json and signs with the simulator key).
const alipayCertsFile = "alipay_certs.json"

// alipayCert is one Alipay public-key certificate the simulator issued, with its key.
type alipayCert struct {
	KeyPEM  string `json:"key_pem"`
	CertPEM string `json:"cert_pem"`
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	sn      string
}

// RotatedCert is what RotateAlipayCert issued.
type RotatedCert struct {
	AlipayCertSN         string // the new certificate's SN, reported from now on
	PreviousAlipayCertSN string
	AlipayCertPEM        []byte
}

// initAlipayCertsLocked records the first Alipay certificate and loads the rotated ones.
func (s *Sandbox) initAlipayCertsLocked(ca *certAuthority) error {
	first := &alipayCert{CertPEM: ca.AlipayPEM, key: s.key, cert: ca.alipay, sn: ca.alipaySN}
	ca.current, ca.history = first, map[string]*alipayCert{first.sn: first}
	if s.cfg.DataDir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, alipayCertsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("sandbox: read %s: %w", alipayCertsFile, err)
	}
	var list []*alipayCert
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("sandbox: %s: %w", alipayCertsFile, err)
	}
	for _, c := range list {
		if c.key, err = parsePrivateKey([]byte(c.KeyPEM)); err != nil {
			return fmt.Errorf("sandbox: %s: %w", alipayCertsFile, err)
		}
		certs := parseCerts([]byte(c.CertPEM))
		if len(certs) != 1 {
			return fmt.Errorf("sandbox: %s: a certificate does not parse", alipayCertsFile)
		}
		c.cert, c.sn = certs[0], certSN(certs[0])
		ca.rotated = append(ca.rotated, c)
		ca.history[c.sn], ca.current = c, c
	}
	return nil
}

// RotateAlipayCert renews the simulator's Alipay public-key certificate as Alipay renews
// its own: a new RSA-2048 key pair and a new serial (so a new SN), issued by the same
// sandbox root with the same signature algorithm as the first. From then on answers to
// certificate-mode requests, and notifications to certificate-mode apps, are signed with
// the new key and report the new SN; alipay.open.app.alipaycert.download still serves
// every certificate issued. Public-key-mode apps keep the simulator key. Errors: key
// generation, or persisting to DataDir (nothing changes then).
func (s *Sandbox) RotateAlipayCert() (*RotatedCert, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048) // slow: outside the lock
	if err != nil {
		return nil, fmt.Errorf("sandbox: generate key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ca, err := s.caLocked()
	if err != nil {
		return nil, err
	}
	c, err := ca.issueAlipayCert(key, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.saveRotatedLocked(append(append([]*alipayCert{}, ca.rotated...), c)); err != nil {
		return nil, err
	}
	prev := ca.current.sn
	ca.rotated = append(ca.rotated, c)
	ca.history[c.sn], ca.current = c, c
	return &RotatedCert{AlipayCertSN: c.sn, PreviousAlipayCertSN: prev, AlipayCertPEM: []byte(c.CertPEM)}, nil
}

// issueAlipayCert signs a new Alipay certificate over key, as the first one was signed:
// same subject, same issuer among the roots, same signature algorithm.
func (ca *certAuthority) issueAlipayCert(key *rsa.PrivateKey, now time.Time) (*alipayCert, error) {
	var issuer *x509.Certificate
	for _, r := range parseCerts([]byte(ca.RootPEM)) {
		if string(r.RawSubject) == string(ca.alipay.RawIssuer) {
			issuer = r
		}
	}
	if issuer == nil {
		return nil, errors.New("sandbox: the Alipay certificate's issuer is not in the root bundle")
	}
	tpl := &x509.Certificate{SerialNumber: serial(), Subject: ca.alipay.Subject, NotBefore: now.Add(-time.Hour),
		NotAfter: now.AddDate(10, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		SignatureAlgorithm: ca.alipay.SignatureAlgorithm}
	der, err := x509.CreateCertificate(rand.Reader, tpl, issuer, &key.PublicKey, ca.rootKey)
	if err != nil {
		return nil, fmt.Errorf("sandbox: issue Alipay certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &alipayCert{KeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		CertPEM: certPEM(der), key: key, cert: cert, sn: certSN(cert)}, nil
}

func (s *Sandbox) saveRotatedLocked(list []*alipayCert) error {
	if s.cfg.DataDir == "" {
		return nil
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.cfg.DataDir, alipayCertsFile), b)
}

// signingKey is the key that signs an answer reporting alipay_cert_sn / alipay-sn certSN:
// the simulator key in public-key mode (certSN ""), else that certificate's key.
func (s *Sandbox) signingKey(certSN string) *rsa.PrivateKey {
	if certSN == "" {
		return s.key
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ca != nil {
		if c := s.ca.history[certSN]; c != nil {
			return c.key
		}
	}
	return s.key
}

// notifyKeyLocked is the key that signs a notification to appID: the current Alipay
// certificate's for an app in certificate mode, the simulator key otherwise.
func (s *Sandbox) notifyKeyLocked(appID string) *rsa.PrivateKey {
	if a := s.apps[appID]; a != nil && a.CertSN != "" && s.ca != nil {
		return s.ca.current.key
	}
	return s.key
}

// handleRotateAlipayCert is POST /sandbox/api/alipay-cert/rotate → 201
// {"alipay_cert_sn","previous_alipay_cert_sn","alipay_cert"}.
func (s *Sandbox) handleRotateAlipayCert(w http.ResponseWriter, r *http.Request) {
	rc, err := s.RotateAlipayCert()
	if err != nil {
		s.log.Error("sandbox: rotate Alipay certificate", slog.String("error", err.Error()))
		writeJSONError(w, http.StatusInternalServerError, "cannot rotate the Alipay certificate")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"alipay_cert_sn": rc.AlipayCertSN,
		"previous_alipay_cert_sn": rc.PreviousAlipayCertSN, "alipay_cert": string(rc.AlipayCertPEM)})
}

// parseCerts returns the certificates of a PEM text that Go can parse, in order (an SM2
// root of a real Alipay bundle does not parse and is skipped, as the SN rules skip it).
func parseCerts(b []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return out
		}
		if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
			out = append(out, c)
		}
	}
}
