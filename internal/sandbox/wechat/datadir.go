package wechat

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// PlatformPublicKeyFromDir returns the platform public key (PEM) and its PUB_KEY_ID_… of the
// simulator key kept in a data dir, those PlatformPublicKeyPEM and PlatformPublicKeyID give
// once New has loaded it, without starting a sandbox (doctor checks a stopped demo too).
// Errors: no key there, or one that does not parse.
func PlatformPublicKeyFromDir(dataDir string) (pem, id string, err error) {
	b, err := os.ReadFile(filepath.Join(dataDir, keyFile))
	if err != nil {
		return "", "", fmt.Errorf("wechat sandbox: %w", err)
	}
	k, err := wechatpay.ParsePrivateKey(string(b))
	if err != nil {
		return "", "", fmt.Errorf("wechat sandbox: %s: %w", keyFile, err)
	}
	return wechatpay.PublicKeyPEM(&k.PublicKey), publicKeyID(&k.PublicKey), nil
}

// SecretFiles lists the files of a data dir that hold secrets (the platform private key,
// the merchants with their APIv3 keys), those that exist.
func SecretFiles(dataDir string) []string {
	var out []string
	for _, name := range []string{keyFile, merchantsFile} {
		p := filepath.Join(dataDir, name)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}
