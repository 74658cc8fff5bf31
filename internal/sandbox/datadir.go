package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
)

// AlipayPublicKeyFromDir returns the public key (PKIX PEM) of the simulator key kept in a
// sandbox data dir, the one AlipayPublicKeyPEM gives once New has loaded it, without
// starting a sandbox (doctor checks a stopped demo too). Errors: no key there, or one that
// does not parse.
func AlipayPublicKeyFromDir(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, keyFile))
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	k, err := parsePrivateKey(b)
	if err != nil {
		return "", fmt.Errorf("sandbox: %s: %w", keyFile, err)
	}
	return publicKeyPEM(&k.PublicKey), nil
}

// SecretFiles lists the files of a sandbox data dir that hold private keys (the simulated
// Alipay's, its root CA's, its renewed certificates'), those that exist.
func SecretFiles(dataDir string) []string {
	var out []string
	for _, name := range []string{keyFile, caFile, alipayCertsFile} {
		p := filepath.Join(dataDir, name)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}
