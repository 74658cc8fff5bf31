package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
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
