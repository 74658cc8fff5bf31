package wechat

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

const (
	keyFile       = "wechat_platform_key.pem"
	merchantsFile = "wechat_merchants.json"
)

// Errors of the buyer and control API; errorStatus maps them to HTTP statuses.
var (
	ErrInvalid  = errors.New("invalid request")
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("the trade's state forbids it")
	ErrExpired  = errors.New("the order has expired")
)

// merchant is a registered merchant: its API certificate serial and public key (to verify
// requests) and its APIv3 key (to encrypt notifications).
type merchant struct {
	MchID     string `json:"mchid"`
	SerialNo  string `json:"serial_no"`
	PublicKey string `json:"public_key"` // PEM, as registered
	APIv3Key  string `json:"api_v3_key"`
	pub       *rsa.PublicKey
}

var mchIDPattern = regexp.MustCompile(`^[0-9]{6,32}$`)

// loadKey loads the platform key from DataDir or creates it (and saves it there).
func (s *Sandbox) loadKey(preset *rsa.PrivateKey) error {
	key, path := preset, ""
	if s.cfg.DataDir != "" {
		if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("wechat sandbox: data dir: %w", err)
		}
		path = filepath.Join(s.cfg.DataDir, keyFile)
		if b, err := os.ReadFile(path); err == nil {
			if key, err = wechatpay.ParsePrivateKey(string(b)); err != nil {
				return fmt.Errorf("wechat sandbox: %s: %w", path, err)
			}
		} else if !os.IsNotExist(err) {
			return fmt.Errorf("wechat sandbox: read key: %w", err)
		}
	}
	if key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return fmt.Errorf("wechat sandbox: generate key: %w", err)
		}
		key = k
	}
	if path != "" {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				return fmt.Errorf("wechat sandbox: encode key: %w", err)
			}
			if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
				return err
			}
		}
	}
	s.key = key
	s.pubPEM = wechatpay.PublicKeyPEM(&key.PublicKey)
	s.keyID = publicKeyID(&key.PublicKey)
	return nil
}

// publicKeyID derives a stable PUB_KEY_ID_ followed by 28 digits, WeChat Pay's form, from
// the key itself, so a key kept in DataDir keeps its id.
func publicKeyID(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	digits := new(big.Int).SetBytes(sum[:]).String()
	return wechatpay.PublicKeyIDPrefix + "01" + digits[:26]
}

// RegisterMerchant registers (or replaces) a merchant. publicKey is the merchant's API
// certificate (PEM; its serial is then used, and serialNo, if given, must match) or its
// public key (PEM or base64; serialNo is then required). apiV3Key must be 32 bytes. Errors
// wrap ErrInvalid.
func (s *Sandbox) RegisterMerchant(mchID, serialNo, publicKey, apiV3Key string) error {
	if !mchIDPattern.MatchString(mchID) {
		return fmt.Errorf("%w: mchid must be 6 to 32 digits", ErrInvalid)
	}
	if err := wechatpay.CheckAPIv3Key(apiV3Key); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	pub, err := wechatpay.ParsePublicKey(publicKey)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if strings.Contains(publicKey, "-----BEGIN CERTIFICATE-----") {
		cert, _ := wechatpay.ParseCertificate(publicKey)
		if serial := wechatpay.CertificateSerial(cert); serialNo == "" {
			serialNo = serial
		} else if !strings.EqualFold(serialNo, serial) {
			return fmt.Errorf("%w: serial_no %s is not the certificate's (%s)", ErrInvalid, serialNo, serial)
		}
	}
	if serialNo == "" || len(serialNo) > 64 {
		return fmt.Errorf("%w: serial_no (the merchant API certificate's serial) is required", ErrInvalid)
	}
	m := &merchant{MchID: mchID, SerialNo: strings.ToUpper(serialNo), PublicKey: publicKey, APIv3Key: apiV3Key, pub: pub}
	s.mu.Lock()
	s.merchants[mchID] = m
	err = s.saveMerchantsLocked()
	s.mu.Unlock()
	return err
}

func (s *Sandbox) loadMerchants() error {
	if s.cfg.DataDir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, merchantsFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("wechat sandbox: read merchants: %w", err)
	}
	var list []*merchant
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("wechat sandbox: %s: %w", merchantsFile, err)
	}
	for _, m := range list {
		if m.pub, err = wechatpay.ParsePublicKey(m.PublicKey); err != nil {
			return fmt.Errorf("wechat sandbox: merchant %s: %w", m.MchID, err)
		}
		s.merchants[m.MchID] = m
	}
	return nil
}

func (s *Sandbox) saveMerchantsLocked() error {
	if s.cfg.DataDir == "" {
		return nil
	}
	list := make([]*merchant, 0, len(s.merchants))
	for _, m := range s.merchants {
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].MchID < list[j].MchID })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.cfg.DataDir, merchantsFile), b)
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("wechat sandbox: write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("wechat sandbox: write %s: %w", filepath.Base(path), err)
	}
	return nil
}
