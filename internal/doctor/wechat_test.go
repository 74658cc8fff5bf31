package doctor

import (
	"net"
	"net/http/httptest"
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/sandbox/wechat"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// TestWeChat: with the WeChat sandbox as WeChat Pay, a right configuration passes; a wrong
// serial, platform key or gateway fails with its fix; no wechat setting is the channel off.
func TestWeChat(t *testing.T) {
	b := setup(t)
	sb, err := wechat.New(wechat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	const mch, serial = "1900000109", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	if err := sb.RegisterMerchant(mch, serial, pubPEM(&b.key.PublicKey), "doctor-apiv3-key-0123456789abcde"); err != nil {
		t.Fatal(err)
	}
	good := config.WeChatConfig{MchID: mch, AppID: "wxd678efh567hg6787", CertSerial: serial, PrivateKey: privPEM(b.key),
		APIv3Key: "doctor-apiv3-key-0123456789abcde", PlatformPublicKey: sb.PlatformPublicKeyPEM(),
		PlatformPublicKeyID: sb.PlatformPublicKeyID(), Gateway: srv.URL + "/sandbox/wechat"}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + closed.Addr().String()
	closed.Close()

	rs := b.run(t, nil)
	want(t, rs, "wechat", OK, "channel off")
	rs = b.run(t, func(c *config.Config, _ *Options) { c.WeChat = good })
	want(t, rs, "wechat", OK, "ORDER_NOT_EXIST", "mchid "+mch)
	want(t, rs, "configuration", OK)
	for _, c := range []struct {
		name   string
		change func(*config.WeChatConfig)
		detail []string
	}{
		{"wrong serial", func(w *config.WeChatConfig) { w.CertSerial = "0000000000000000000000000000000000000000" },
			[]string{"SIGN_ERROR", "wechat.cert_serial"}},
		{"wrong platform key", func(w *config.WeChatConfig) { w.PlatformPublicKey = wechatpay.PublicKeyPEM(&b.bad.PublicKey) },
			[]string{"does not verify with wechat.platform_public_key", "微信支付公钥"}},
		{"unreachable gateway", func(w *config.WeChatConfig) { w.Gateway = dead }, []string{"no answer", dead, "wechat.gateway"}},
		{"short APIv3 key", func(w *config.WeChatConfig) { w.APIv3Key = "short" }, []string{"APIv3", "wechat setting"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := b.run(t, func(cfg *config.Config, _ *Options) { cfg.WeChat = good; c.change(&cfg.WeChat) })
			want(t, rs, "wechat", Fail, c.detail...)
			if !Failed(rs) {
				t.Error("not Failed")
			}
		})
	}
}
