package doctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/f2fpay/f2fpay/internal/app/backend"
	"github.com/f2fpay/f2fpay/internal/wechatpay"
)

// checkWeChat builds the WeChat Pay client as serve does (backend.WeChatClientConfig) and
// queries a made-up order. A signed ORDER_NOT_EXIST proves the mchid, the merchant key and
// its certificate serial, the platform public key and the gateway together; any other
// answer names which of them is wrong. The APIv3 key is checked by its length only: WeChat
// Pay uses it for notifications alone. Without any wechat setting the channel is off.
func (d *doctor) checkWeChat(ctx context.Context) {
	const name = "wechat"
	w := d.cfg.WeChat
	if !w.Enabled() {
		d.add(Result{Name: name, Status: OK, Detail: "channel off (no wechat.* setting): orders take channel alipay only"})
		return
	}
	wc := backend.WeChatClientConfig(w)
	wc.Logger = slog.New(slog.DiscardHandler)
	wc.HTTPClient = &http.Client{Timeout: d.o.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c, err := wechatpay.New(wc)
	if err != nil {
		d.add(Result{Name: name, Status: Fail, Detail: err.Error(), Fix: "correct the wechat setting named (see configuration)"})
		return
	}
	ctx, cancel := d.timeout(ctx)
	defer cancel()
	no := madeUpOrder()
	_, err = c.QueryByOutTradeNo(ctx, no)
	r := judgeWeChat(err, no, w.MchID, w.PlatformPublicKeyID, gatewayOf(w.GatewayURL()))
	r.Name = name
	d.add(r)
}

func gatewayOf(g string) string {
	if g == "" {
		return wechatpay.ProductionGateway
	}
	return g
}

// judgeWeChat reads the answer to the made-up query.
func judgeWeChat(err error, no, mchID, keyID, gateway string) Result {
	call := "query of " + no + " at " + gateway
	var e *wechatpay.Error
	switch {
	case err == nil:
		return Result{Status: OK, Detail: call + " found an order by that number: mchid, keys and gateway agree"}
	case !errors.As(err, &e):
		return Result{Status: Fail, Detail: call + ": " + err.Error(), Fix: "report this: the client failed without a WeChat Pay answer"}
	case e.Code == "ORDER_NOT_EXIST":
		return Result{Status: OK, Detail: call + " answered ORDER_NOT_EXIST, signed: mchid " + mchID + ", merchant key, certificate serial, platform key and gateway agree"}
	case e.Unsigned:
		return Result{Status: Fail, Detail: call + ": the answer's signature does not verify with wechat.platform_public_key (" + keyID + "): " + e.Message,
			Fix: "download the WeChat Pay public key and its ID (PUB_KEY_ID_…) from the merchant platform (账户中心 → API安全 → 微信支付公钥) into wechat.platform_public_key and wechat.platform_public_key_id"}
	case e.Status == 0:
		return Result{Status: Fail, Detail: call + ": no answer: " + e.Message,
			Fix: "check wechat.gateway (F2FPAY_WECHAT_GATEWAY), DNS, and that this host may connect out to it (firewall, egress proxy)"}
	case e.Code == "SIGN_ERROR":
		return Result{Status: Fail, Detail: fmt.Sprintf("%s answered %d SIGN_ERROR (%s)", call, e.Status, e.Message),
			Fix: "wechat.cert_serial must be the serial of the merchant API certificate (apiclient_cert.pem) whose private key is wechat.private_key, and wechat.mch_id its merchant; synchronise the clock if it is off"}
	case e.Code == "MCH_NOT_EXISTS", e.Code == "APPID_MCHID_NOT_MATCH", e.Code == "NO_AUTH":
		return Result{Status: Fail, Detail: fmt.Sprintf("%s answered %d %s (%s)", call, e.Status, e.Code, e.Message),
			Fix: "wechat.mch_id must be the merchant number (商户号) and wechat.app_id an AppID bound to it, with the Native payment product (Native支付) enabled"}
	}
	return Result{Status: Fail, Detail: fmt.Sprintf("%s answered %d %s (%s)", call, e.Status, e.Code, e.Message),
		Fix: "look up " + e.Code + " in WeChat Pay's APIv3 error codes"}
}
