package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// The demo's WeChat Pay merchant at its embedded WeChat sandbox (docs/decisions.md, "WeChat
// Pay channel"): fixed ids, and keys made once in {data-dir}/keys, so that a restarted demo
// and `doctor --data-dir` find the same merchant. demo.json stays as it was: nothing of it is
// a credential a merchant system needs.
const (
	demoWeChatMchID  = "1900009191"
	demoWeChatAppID  = "wxf2f0de0000000001"
	wechatKeyFile    = "wechat_apiclient_key.pem" // the merchant API private key, 0600
	wechatAPIv3File  = "wechat_apiv3.key"         // the APIv3 key, 0600
	wechatSandboxDir = "sandbox"                  // shared with the Alipay sandbox; its files are named wechat_*
)

// demoWeChatKeys makes the demo merchant's API key and APIv3 key in keyDir once, and reads
// them: the private key PEM, the certificate serial (derived from the public key), and the
// APIv3 key.
func demoWeChatKeys(keyDir string) (priv, serial, apiV3 string, err error) {
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return "", "", "", err
	}
	keyPath, v3Path := filepath.Join(keyDir, wechatKeyFile), filepath.Join(keyDir, wechatAPIv3File)
	if _, err := os.Stat(keyPath); errors.Is(err, os.ErrNotExist) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", "", "", err
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		if err := writeNewFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return "", "", "", err
		}
	}
	if _, err := os.Stat(v3Path); errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		if err := writeNewFile(v3Path, []byte(hex.EncodeToString(b)+"\n")); err != nil { // 32 characters
			return "", "", "", err
		}
	}
	return readDemoWeChatKeys(keyDir)
}

// readDemoWeChatKeys reads what demoWeChatKeys made, for doctor --data-dir.
func readDemoWeChatKeys(keyDir string) (priv, serial, apiV3 string, err error) {
	b1, err1 := os.ReadFile(filepath.Join(keyDir, wechatKeyFile))
	b2, err2 := os.ReadFile(filepath.Join(keyDir, wechatAPIv3File))
	if err := errors.Join(err1, err2); err != nil {
		return "", "", "", err
	}
	k, err := wechatpay.ParsePrivateKey(string(b1))
	if err != nil {
		return "", "", "", fmt.Errorf("%s: %v", wechatKeyFile, err)
	}
	return string(b1), demoCertSerial(&k.PublicKey), strings.TrimSpace(string(b2)), nil
}

// demoCertSerial stands in for the serial of a merchant API certificate, which the demo has
// none of: 40 hex digits derived from the public key, as stable as the key.
func demoCertSerial(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return strings.ToUpper(hex.EncodeToString(sum[:20]))
}

func writeNewFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// demoWeChatConfig is the wechat configuration of a demo at base whose WeChat sandbox has
// the platform key platPEM (id platID).
func demoWeChatConfig(base, priv, serial, apiV3, platPEM, platID string) config.WeChatConfig {
	return config.WeChatConfig{MchID: demoWeChatMchID, AppID: demoWeChatAppID, CertSerial: serial, PrivateKey: priv,
		APIv3Key: apiV3, PlatformPublicKey: platPEM, PlatformPublicKeyID: platID, Gateway: base + "/sandbox/wechat"}
}

// startDemoWeChat starts the embedded WeChat sandbox with the demo merchant registered, and
// returns it with the gateway's wechat configuration.
func startDemoWeChat(dataDir, base string, log *slog.Logger) (*wechat.Sandbox, config.WeChatConfig, error) {
	priv, serial, apiV3, err := demoWeChatKeys(filepath.Join(dataDir, "keys"))
	if err != nil {
		return nil, config.WeChatConfig{}, fmt.Errorf("wechat keys: %v", err)
	}
	sb, err := wechat.New(wechat.Config{DataDir: filepath.Join(dataDir, wechatSandboxDir), BaseURL: base,
		Logger: log.With(slog.String("component", "wechat-sandbox"))})
	if err != nil {
		return nil, config.WeChatConfig{}, err
	}
	k, _ := wechatpay.ParsePrivateKey(priv)
	if err := sb.RegisterMerchant(demoWeChatMchID, serial, wechatpay.PublicKeyPEM(&k.PublicKey), apiV3); err != nil {
		sb.Close()
		return nil, config.WeChatConfig{}, err
	}
	return sb, demoWeChatConfig(base, priv, serial, apiV3, sb.PlatformPublicKeyPEM(), sb.PlatformPublicKeyID()), nil
}

// sandboxes mounts the WeChat sandbox beside the Alipay one: /sandbox/wechat/… to the
// first, the rest of /sandbox/… to the second.
func sandboxes(alipay, wx http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/sandbox/wechat/", wx)
	mux.Handle("/", alipay)
	return mux
}
