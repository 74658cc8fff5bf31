package doctor

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/app/backend"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// checkGateway builds the Alipay channel as serve does (backend.ChannelConfig) and sends a
// signed alipay.trade.query of a made-up order. ACQ.TRADE_NOT_EXIST proves the app id, both
// keys and the gateway together; any other answer names which of them is wrong.
func (d *doctor) checkGateway(ctx context.Context) {
	const name = "gateway"
	cc := backend.ChannelConfig(d.cfg.Alipay)
	d.answer = &answerTimes{}
	cc.Transport = clockTransport{base: http.DefaultTransport, now: d.now, rec: d.answer}
	cc.Logger = slog.New(slog.DiscardHandler)
	if cache, ok := d.store.(alipay.CertCache); ok {
		cc.CertCache = readOnlyCache{cache}
	}
	ch, err := alipay.New(cc)
	if err != nil {
		if !d.valid {
			d.add(Result{Name: name, Status: Skip, Detail: "not called: the Alipay settings are invalid (see configuration)"})
			return
		}
		d.add(Result{Name: name, Status: Fail, Detail: err.Error(), Fix: "correct the alipay setting named"})
		return
	}
	d.channel = ch
	ctx, cancel := d.timeout(ctx)
	defer cancel()
	no := madeUpOrder()
	p := ch.ProbeQuery(ctx, no)
	d.probe = &p
	r := judgeProbe(p, d.cfg.Alipay, d.gateway(), no)
	r.Name = name
	d.add(r)
}

// judgeProbe reads the answer to the made-up query.
func judgeProbe(p alipay.QueryProbe, a config.AlipayConfig, gateway, no string) Result {
	call := "alipay.trade.query of " + no
	answered := fmt.Sprintf("%s answered %s %s", call, p.Code, p.SubCode)
	if m := []rune(p.SubMsg); len(m) > 0 {
		if len(m) > 60 { // isv.invalid-signature's quotes the whole string to sign
			m = append(m[:60], '…')
		}
		answered += " (" + string(m) + ")"
	}
	switch {
	case p.BadSignature:
		return badSignature(p, a)
	case p.Code == "":
		why := strings.TrimPrefix(payment.ErrorMessage(p.Err), "alipay.trade.query: ")
		why = strings.Replace(why, "no usable answer from Alipay", "no usable answer", 1)
		return Result{Status: Fail, Detail: fmt.Sprintf("%s to %s: %s", call, gateway, why),
			Fix: "check alipay.gateway (F2FPAY_ALIPAY_GATEWAY), DNS, and that this host may connect out to it (firewall, egress proxy)"}
	case p.SubCode == "ACQ.TRADE_NOT_EXIST" || p.Code == "10000":
		what := p.SubCode
		if p.Code == "10000" {
			what = "10000 (a trade by that number exists)"
		}
		return Result{Status: OK, Detail: fmt.Sprintf("%s answered %s: app id, keys and gateway agree", call, what)}
	}
	fix := subCodeFix(p.SubCode, a)
	if fix == "" {
		fix = "look up " + p.SubCode + " in Alipay's error codes; an app must have the Face-to-Face product (当面付) signed and be online"
	}
	return Result{Status: Fail, Detail: answered, Fix: fix}
}

// subCodeFix is the fix of the gateway-level refusals that name a wrong setting.
func subCodeFix(sub string, a config.AlipayConfig) string {
	switch sub {
	case "isv.invalid-app-id":
		return fmt.Sprintf("alipay.app_id %q is not an app this gateway knows: copy the APPID of an online app from the open platform; a sandbox app id works only with gateway: sandbox, a production one only with production", a.AppID)
	case "isv.invalid-signature":
		fp := ""
		if k, err := config.ParsePrivateKey(a.PrivateKey); err == nil {
			fp = " (" + config.KeyFingerprint(&k.PublicKey) + ")"
		}
		return "the public key uploaded for this app in the open platform is not the one of alipay.private_key" + fp +
			": upload its public key (`f2fpay keys gen` printed it on one line), or configure the private key whose public key is uploaded"
	case "isv.missing-signature-config":
		return "no app public key or certificate is set up for this app: upload the app public key in the open platform (开发设置 → 接口加签方式)"
	case "isv.app-cert-not-exist", "isv.invalid-app-cert-sn":
		return "alipay.app_cert must be the certificate Alipay issued for this app (the newest one, if it was renewed); in public-key mode, remove the certificates"
	case "isv.invalid-alipay-root-cert-sn":
		return "alipay.root_cert must be Alipay's root certificate bundle (alipayRootCert.crt) as downloaded"
	case "isv.invalid-timestamp":
		return "synchronise this host's clock (chrony, systemd-timesyncd): Alipay refuses requests whose timestamp is too far off"
	case "isv.insufficient-isv-permissions", "isv.insufficient-user-permissions", "ACQ.ACCESS_FORBIDDEN":
		return "the app has no access to alipay.trade.query: sign the Face-to-Face product (当面付) for it in the open platform and put the app online"
	}
	return ""
}

// badSignature is an answer whose signature does not verify with the Alipay key.
func badSignature(p alipay.QueryProbe, a config.AlipayConfig) Result {
	r := Result{Status: Fail, Detail: "the gateway answered, but its answer's signature does not verify with"}
	if strings.Contains(payment.ErrorMessage(p.Err), "no signature") {
		r.Detail = "the gateway answered without a signature, which only Alipay's gateway-level refusals may; checked against"
	}
	if a.CertMode() {
		r.Detail += " alipay.alipay_cert (and the renewals that pass the checks against alipay.root_cert)"
		r.Fix = "alipay.alipay_cert must be the Alipay public-key certificate (alipayCertPublicKey_RSA2.crt) downloaded for this app, with its root bundle in alipay.root_cert"
		return r
	}
	r.Detail += " alipay.alipay_public_key"
	if k, err := config.ParsePublicKey(a.AlipayPublicKey); err == nil {
		r.Detail += " " + config.KeyFingerprint(k)
	}
	r.Fix = "alipay.alipay_public_key must be the Alipay public key (支付宝公钥) the open platform shows for this app, not the app's own public key; for the sandbox gateway, the sandbox app's"
	return r
}

// answerTimes is when the last answer from the gateway was asked for and came, and the
// Date it carried.
type answerTimes struct {
	mu                   sync.Mutex
	sent, received, date time.Time
}

func (a *answerTimes) get() (sent, received, date time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sent, a.received, a.date
}

// clockTransport notes the Date header of each answer, for the clock check.
type clockTransport struct {
	base http.RoundTripper
	now  func() time.Time
	rec  *answerTimes
}

// RoundTrip sends req and notes when its answer came and what Date it carries.
func (t clockTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sent := t.now()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		t.rec.mu.Lock()
		t.rec.sent, t.rec.received, t.rec.date = sent, t.now(), date
		t.rec.mu.Unlock()
	}
	return resp, nil
}

// Clock skew limits: a few seconds is worth a warning; beyond maxSkew Alipay may refuse
// requests (isv.invalid-timestamp). Alipay does not document its window; 15 minutes is the
// simulator's strict mode (docs/decisions.md, "Operations").
const (
	warnSkew = 5 * time.Second
	maxSkew  = 15 * time.Minute
)

// checkClock compares this host's clock with the Date of the gateway's answer.
func (d *doctor) checkClock(context.Context) {
	if d.answer == nil {
		return
	}
	sent, received, date := d.answer.get()
	switch {
	case date.IsZero() && (d.probe == nil || d.probe.Code == "" && !d.probe.BadSignature):
		d.add(Result{Name: "clock", Status: Skip, Detail: "not checked: no answer from the gateway"})
		return
	case date.IsZero():
		d.add(Result{Name: "clock", Status: Skip, Detail: "not checked: the gateway's answer carried no Date header"})
		return
	}
	r := judgeSkew(skew(sent, received, date))
	r.Name = "clock"
	d.add(r)
}

// skew is how far this host's clock is ahead of the gateway's (negative: behind), and
// how uncertain that is: Date has whole seconds and the answer took its time.
func skew(sent, received, date time.Time) (ahead, uncertainty time.Duration) {
	half := received.Sub(sent) / 2
	mid := sent.Add(half)
	return mid.Sub(date.Add(500 * time.Millisecond)), half + 500*time.Millisecond
}

// judgeSkew warns above warnSkew and fails above maxSkew, counting only what the
// measurement is sure of.
func judgeSkew(ahead, uncertainty time.Duration) Result {
	off := ahead.Abs()
	sure := off - uncertainty
	dir := "ahead of"
	if ahead < 0 {
		dir = "behind"
	}
	detail := fmt.Sprintf("this host is %s %s the gateway's clock (±%s)", off.Round(time.Second), dir, uncertainty.Round(100*time.Millisecond))
	fix := "synchronise this host's clock (chrony, systemd-timesyncd); Alipay reads every request's timestamp as Beijing time and refuses one too far off"
	switch {
	case sure > maxSkew:
		return Result{Status: Fail, Detail: detail + ", more than Alipay accepts", Fix: fix}
	case sure > warnSkew:
		return Result{Status: Warn, Detail: detail, Fix: fix}
	}
	detail = fmt.Sprintf("within %s of the gateway's clock", max(off, uncertainty).Round(time.Second))
	return Result{Status: OK, Detail: strings.TrimSpace(detail)}
}
