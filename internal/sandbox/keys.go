package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

const (
	keyFile  = "alipay_private_key.pem"
	appsFile = "apps.json"
)

// app is a registered merchant application.
type app struct {
	ID        string `json:"app_id"`
	PublicKey string `json:"public_key"` // PEM (PKIX)
	SellerID  string `json:"seller_id"`
	CertSN    string `json:"cert_sn,omitempty"`  // set once an app certificate is issued: cert mode
	CertPEM   string `json:"cert_pem,omitempty"` // the issued app certificate
	// CreatedAt is when the app was first registered: no bill exists for earlier days.
	CreatedAt time.Time `json:"created_at,omitzero"`
	pub       *rsa.PublicKey
}

var appIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// loadKeys loads the simulator key from DataDir, or creates it (and saves it there).
func (s *Sandbox) loadKeys(preset *rsa.PrivateKey) error {
	key := preset
	path := ""
	if s.cfg.DataDir != "" {
		if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("sandbox: data dir: %w", err)
		}
		path = filepath.Join(s.cfg.DataDir, keyFile)
		if b, err := os.ReadFile(path); err == nil {
			k, perr := parsePrivateKey(b)
			if perr != nil {
				return fmt.Errorf("sandbox: %s: %w", path, perr)
			}
			key = k
		} else if !os.IsNotExist(err) {
			return fmt.Errorf("sandbox: read key: %w", err)
		}
	}
	if key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return fmt.Errorf("sandbox: generate key: %w", err)
		}
		key = k
	}
	if path != "" {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				return fmt.Errorf("sandbox: encode key: %w", err)
			}
			if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
				return err
			}
		}
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("sandbox: encode public key: %w", err)
	}
	s.key = key
	s.pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return nil
}

func parsePrivateKey(b []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errors.New("not an RSA key")
	}
	return x509.ParsePKCS1PrivateKey(blk.Bytes)
}

// parsePublicKey accepts a PEM ("PUBLIC KEY" or "RSA PUBLIC KEY") or bare base64 of a
// PKIX (or PKCS#1) DER RSA public key, as Alipay's console shows it.
func parsePublicKey(s string) (*rsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		der = blk.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, errors.New("public key is neither PEM nor base64")
		}
		der = b
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("public key is not RSA")
		}
		return checkKeySize(rk)
	}
	rk, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		return nil, errors.New("cannot parse RSA public key")
	}
	return checkKeySize(rk)
}

func checkKeySize(k *rsa.PublicKey) (*rsa.PublicKey, error) {
	if k.N.BitLen() < 1024 {
		return nil, errors.New("RSA key shorter than 1024 bits")
	}
	return k, nil
}

func publicKeyPEM(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// AlipayPublicKeyPEM returns the simulator's ("Alipay's") public key as a PKIX PEM.
func (s *Sandbox) AlipayPublicKeyPEM() string { return s.pubPEM }

// RegisterApp registers (or re-keys) an app with its RSA public key, PEM or bare base64
// (PKIX). A re-registered app keeps its seller id. It returns ErrInvalid for a bad app id
// or key, or the error of persisting the app list.
func (s *Sandbox) RegisterApp(appID, publicKey string) error {
	if !appIDPattern.MatchString(appID) {
		return fmt.Errorf("%w: app_id must be 1-64 of [A-Za-z0-9_-]", ErrInvalid)
	}
	pub, err := parsePublicKey(publicKey)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[appID]
	if a == nil {
		a = &app{ID: appID, SellerID: randomDigits("2088", 12), CreatedAt: s.now()}
		s.apps[appID] = a
	}
	if a.pub != nil && !a.pub.Equal(pub) {
		a.CertSN, a.CertPEM = "", "" // a new key invalidates the old app certificate
	}
	a.pub, a.PublicKey = pub, publicKeyPEM(pub)
	return s.saveAppsLocked()
}

// SellerID returns the app's seller PID ("2088" + 12 digits), stable per app and
// persisted with it; "" for an unknown app.
func (s *Sandbox) SellerID(appID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[appID]; a != nil {
		return a.SellerID
	}
	return ""
}

func (s *Sandbox) loadApps() error {
	if s.cfg.DataDir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, appsFile))
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("sandbox: read apps: %w", err)
	}
	var list []*app
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("sandbox: %s: %w", appsFile, err)
	}
	for _, a := range list {
		pub, err := parsePublicKey(a.PublicKey)
		if err != nil {
			return fmt.Errorf("sandbox: app %s: %w", a.ID, err)
		}
		a.pub = pub
		s.apps[a.ID] = a
	}
	return nil
}

func (s *Sandbox) saveAppsLocked() error {
	if s.cfg.DataDir == "" {
		return nil
	}
	list := make([]*app, 0, len(s.apps))
	for _, a := range s.apps {
		list = append(list, a)
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.cfg.DataDir, appsFile), b)
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("sandbox: write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sandbox: write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// randomDigits returns prefix followed by n random decimal digits.
func randomDigits(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	ten := big.NewInt(10)
	for range n {
		d, err := rand.Int(rand.Reader, ten)
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}
