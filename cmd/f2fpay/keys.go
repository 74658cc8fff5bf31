package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
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
		return fail(stderr, "usage: f2fpay keys gen --out DIR [--force]")
	}
	fs := flag.NewFlagSet("keys gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for the key files")
	force := fs.Bool("force", false, "replace a key pair already in DIR (the old private key is lost)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *out == "" {
		return fail(stderr, "keys gen: --out DIR is required")
	}
	priv, pub, err := writeKeyPair(*out, *force)
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

// writeAppKeys creates an RSA-2048 app key pair in dir, refusing to overwrite any file.
func writeAppKeys(dir string) (privPath, pubPath string, err error) { return writeKeyPair(dir, false) }

// writeKeyPair creates an RSA-2048 app key pair in dir: the private key 0600, the public key
// and its one-line form 0644. Each file is created with O_EXCL, so an existing file (or a
// symbolic link planted in its place) is never written through; without force an existing
// file is an error and nothing is left behind, with force the new files replace the old by
// rename.
func writeKeyPair(dir string, force bool) (privPath, pubPath string, err error) {
	privPath, pubPath = filepath.Join(dir, appPrivateFile), filepath.Join(dir, appPublicFile)
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
	files := []keyFile{
		{privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600},
		{pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644},
		{filepath.Join(dir, appPublicTxt), []byte(base64.StdEncoding.EncodeToString(pubDER) + "\n"), 0o644},
	}
	if force {
		return privPath, pubPath, replaceFiles(files)
	}
	return privPath, pubPath, createFiles(files)
}

type keyFile struct {
	path string
	data []byte
	mode os.FileMode
}

// createFiles creates every file with O_EXCL; on any failure it removes those it created.
func createFiles(files []keyFile) error {
	for i, f := range files {
		if err := createExcl(f.path, f.data, f.mode); err != nil {
			for _, done := range files[:i] {
				_ = os.Remove(done.path)
			}
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists; not overwriting a key (--force replaces the pair)", f.path)
			}
			return err
		}
	}
	return nil
}

// replaceFiles writes each file beside its target with O_EXCL, then renames it over the
// target, which replaces a symbolic link instead of following it.
func replaceFiles(files []keyFile) error {
	for _, f := range files {
		tmp := f.path + ".new-" + hex.EncodeToString(randomBytes(6))
		if err := createExcl(tmp, f.data, f.mode); err != nil {
			return err
		}
		if err := os.Rename(tmp, f.path); err != nil {
			_ = os.Remove(tmp)
			return err
		}
	}
	return nil
}

// createExcl creates path (it must not exist) with mode, writes data and syncs it; a
// failure after creating it removes it.
func createExcl(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func mustPublicBase64(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, appPublicTxt))
	return strings.TrimSpace(string(b))
}
