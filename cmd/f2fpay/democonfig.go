package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/sandbox"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
)

// demoConfig is the configuration of the demo whose data dir is dir, as `demo` builds it
// (demo.go, configure): its URL and Alipay app from demo.json, its app keys, master key and
// SQLite database, and as Alipay the sandbox it embeds, whose key is read from the data
// dir, so that a stopped demo can be checked too. F2FPAY_DATABASE, _REDIS and _NATS apply
// as they do to the demo. It also lists the demo's files holding secrets.
func demoConfig(dir string) (*config.Config, []config.SecretFile, error) {
	st := loadDemoState(dir)
	if st.BaseURL == "" || st.AlipayAppID == "" {
		return nil, nil, fmt.Errorf("%s is not a demo's data dir: no demo.json with base_url and alipay_app_id (start `f2fpay demo --data-dir %s` once)", dir, dir)
	}
	keys := filepath.Join(dir, "keys")
	priv, err1 := os.ReadFile(filepath.Join(keys, appPrivateFile))
	pub, err2 := os.ReadFile(filepath.Join(keys, appPublicFile))
	master, err3 := os.ReadFile(filepath.Join(dir, "master.key"))
	alipayPub, err4 := sandbox.AlipayPublicKeyFromDir(filepath.Join(dir, "sandbox"))
	wxPriv, wxSerial, wxV3, err5 := readDemoWeChatKeys(keys)
	wxPlat, wxPlatID, err6 := wechat.PlatformPublicKeyFromDir(filepath.Join(dir, wechatSandboxDir))
	if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
		return nil, nil, fmt.Errorf("the demo's files: %v", err)
	}
	env, err := config.Load("", os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	cfg := &config.Config{
		PublicURL: st.BaseURL, Database: env.Database, MasterKey: strings.TrimSpace(string(master)), DataDir: dir,
		RedisURL: env.RedisURL, Events: env.Events, DatabasePool: env.DatabasePool,
		Alipay: config.AlipayConfig{AppID: st.AlipayAppID, PrivateKey: string(priv), AppPublicKey: string(pub),
			AlipayPublicKey: alipayPub, Gateway: st.BaseURL + "/sandbox/gateway.do"},
		WeChat: demoWeChatConfig(st.BaseURL, wxPriv, wxSerial, wxV3, wxPlat, wxPlatID),
	}
	if cfg.Database == "" {
		cfg.Database = "sqlite:" + filepath.Join(dir, "f2fpay.db")
	}
	files := []config.SecretFile{{Setting: "demo", Path: filepath.Join(dir, "demo.json")},
		{Setting: "demo", Path: filepath.Join(keys, appPrivateFile)},
		{Setting: "demo wechat", Path: filepath.Join(keys, wechatKeyFile)}, {Setting: "demo wechat", Path: filepath.Join(keys, wechatAPIv3File)}}
	for _, p := range sandbox.SecretFiles(filepath.Join(dir, "sandbox")) {
		files = append(files, config.SecretFile{Setting: "demo sandbox", Path: p})
	}
	for _, p := range wechat.SecretFiles(filepath.Join(dir, wechatSandboxDir)) {
		files = append(files, config.SecretFile{Setting: "demo wechat sandbox", Path: p})
	}
	return cfg, files, nil
}
