package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func runKeys(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "gen" {
		return fail(stderr, "usage: f2fpay keys gen --out DIR")
	}
	fs := flag.NewFlagSet("keys gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for the key files")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *out == "" {
		return fail(stderr, "keys gen: --out DIR is required")
	}
	priv, pub, err := writeAppKeys(*out)
	if err != nil {
		return fail(stderr, "keys gen: %v", err)
	}
	fmt.Fprintf(stdout, "private key (PKCS#8): %s\npublic key (PEM):     %s\npublic key for the Alipay console (one line):\n%s\n",
		priv, pub, mustPublicBase64(*out))
	return 0
}

const (
	appPrivateFile = "app_private_key.pem"
	appPublicFile  = "app_public_key.pem"
	appPublicTxt   = "app_public_key.txt"
)

// writeAppKeys creates an RSA-2048 app key pair in dir (refusing to overwrite one).
func writeAppKeys(dir string) (privPath, pubPath string, err error) {
	privPath, pubPath = filepath.Join(dir, appPrivateFile), filepath.Join(dir, appPublicFile)
	if _, err := os.Stat(privPath); err == nil {
		return "", "", fmt.Errorf("%s exists; not overwriting a key", privPath)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	files := []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600},
		{pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644},
		{filepath.Join(dir, appPublicTxt), []byte(base64.StdEncoding.EncodeToString(pubDER) + "\n"), 0o644},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return "", "", err
		}
	}
	return privPath, pubPath, nil
}

func mustPublicBase64(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, appPublicTxt))
	return strings.TrimSpace(string(b))
}

// parsePrivateKey reads an RSA private key as PEM or bare base64, PKCS#1 or PKCS#8.
func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := pemOrBase64(s)
	if err != nil {
		return nil, errors.New("the app private key is neither PEM nor base64")
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("the app private key is not an RSA key in PKCS#1 or PKCS#8")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("the app private key is not an RSA key")
	}
	return rk, nil
}

// parsePublicKey reads an RSA public key as PEM or bare base64 (PKIX).
func parsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := pemOrBase64(s)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return rk, nil
}

func pemOrBase64(s string) ([]byte, error) {
	if b, _ := pem.Decode([]byte(strings.TrimSpace(s))); b != nil {
		return b.Bytes, nil
	}
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
}

// publicKeyLine is the one-line base64 form of a public key, as Alipay's console shows it.
func publicKeyLine(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return base64.StdEncoding.EncodeToString(der)
}

// keyFingerprint names a public key by the first bytes of the SHA-256 of its DER form
// (every RSA-2048 key's base64 starts and ends alike, so a prefix would name nothing).
func keyFingerprint(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:8])
}

// checkKeyPair refuses a private key that does not belong to the configured public key.
func checkKeyPair(privateKey, publicKey string) error {
	priv, err := parsePrivateKey(privateKey)
	if err != nil {
		return err
	}
	if publicKey == "" {
		return nil
	}
	pub, err := parsePublicKey(publicKey)
	if err != nil {
		return fmt.Errorf("the app public key cannot be read: %v", err)
	}
	if !priv.PublicKey.Equal(pub) {
		return fmt.Errorf("the app private key does not match app public key %s (its private key has public key %s)",
			keyFingerprint(pub), keyFingerprint(&priv.PublicKey))
	}
	return nil
}
