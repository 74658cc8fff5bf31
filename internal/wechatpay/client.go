package wechatpay

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// ProductionGateway is WeChat Pay's APIv3 host, used when Config.Gateway is empty.
const ProductionGateway = "https://api.mch.weixin.qq.com"

// DefaultTimeout bounds one HTTP call to WeChat Pay when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// userAgent names this client; WeChat Pay asks integrators to send a User-Agent.
const userAgent = "f2fpay-wechatpay/1 (Go)"

// Config configures a Client. Public-key mode sets PlatformPublicKey and its ID; certificate
// mode sets PlatformCertificates; both may be set while WeChat Pay migrates a merchant from
// certificates to the public key.
type Config struct {
	MchID      string // 商户号
	AppID      string // the AppID bound to the merchant, sent with every order
	CertSerial string // serial number of the merchant API certificate (serial_no)
	PrivateKey string // merchant API private key (apiclient_key.pem), PEM or bare base64
	APIv3Key   string // the 32-byte APIv3 key, for notification resources

	PlatformPublicKey    string   // WeChat Pay public key (pub_key.pem)
	PlatformPublicKeyID  string   // its id, PUB_KEY_ID_…
	PlatformCertificates []string // WeChat Pay platform certificates, PEM

	Gateway    string        // "" = ProductionGateway; any http(s) base URL (the simulator's …/sandbox/wechat)
	Timeout    time.Duration // per HTTP call; 0 = DefaultTimeout
	HTTPClient *http.Client  // nil = a client with Timeout that does not follow redirects
	Clock      payment.Clock // nil = the system clock; signs requests and checks answer timestamps
	Logger     *slog.Logger  // nil = discard

	// Recorder, when set, is called synchronously after every call with the operation, the
	// request body (no keys, no signatures), the outcome and a summary of the answer.
	Recorder func(payment.ChannelCall)
}

// Client calls WeChat Pay APIv3 for one merchant: Native orders, queries, close, refunds,
// and verifies notifications. It is safe for concurrent use.
type Client struct {
	mchID, appID, apiV3Key string
	base                   string
	signer                 Signer
	verifier               *Verifier
	http                   *http.Client
	clock                  payment.Clock
	log                    *slog.Logger
	record                 func(payment.ChannelCall)
}

// New checks cfg and builds the Client without calling WeChat Pay. Its errors name the
// problem: a missing mchid, appid or serial, an unparseable key or certificate, an APIv3 key
// that is not 32 bytes, no platform key at all, a gateway that is not an http(s) URL.
func New(cfg Config) (*Client, error) {
	if cfg.MchID == "" || cfg.AppID == "" || cfg.CertSerial == "" {
		return nil, errors.New("wechatpay: MchID, AppID and CertSerial are required")
	}
	key, err := ParsePrivateKey(cfg.PrivateKey)
	if err != nil {
		return nil, err
	}
	if err := CheckAPIv3Key(cfg.APIv3Key); err != nil {
		return nil, err
	}
	v, err := platformVerifier(cfg)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(cfg.Gateway, "/")
	if base == "" {
		base = ProductionGateway
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("wechatpay: gateway %q: want an absolute http(s) URL without a query", cfg.Gateway)
	}
	c := &Client{mchID: cfg.MchID, appID: cfg.AppID, apiV3Key: cfg.APIv3Key, base: base,
		signer: Signer{MchID: cfg.MchID, SerialNo: cfg.CertSerial, Key: key}, verifier: v,
		http: cfg.HTTPClient, clock: cfg.Clock, log: cfg.Logger, record: cfg.Recorder}
	if c.http == nil {
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		c.http = &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if c.clock == nil {
		c.clock = payment.SystemClock{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With(slog.String("component", "wechatpay"), slog.String("mchid", cfg.MchID))
	return c, nil
}

func platformVerifier(cfg Config) (*Verifier, error) {
	v := NewVerifier()
	if cfg.PlatformPublicKey != "" {
		if !strings.HasPrefix(cfg.PlatformPublicKeyID, PublicKeyIDPrefix) {
			return nil, fmt.Errorf("wechatpay: the platform public key needs its id (%s…)", PublicKeyIDPrefix)
		}
		pub, err := ParsePublicKey(cfg.PlatformPublicKey)
		if err != nil {
			return nil, err
		}
		_ = v.AddPublicKey(cfg.PlatformPublicKeyID, pub)
	}
	for _, p := range cfg.PlatformCertificates {
		cert, err := ParseCertificate(p)
		if err != nil {
			return nil, err
		}
		if err := v.AddCertificate(cert); err != nil {
			return nil, err
		}
	}
	if v.Serial() == "" {
		return nil, errors.New("wechatpay: a platform public key (with its id) or a platform certificate is required")
	}
	return v, nil
}

// MchID returns the merchant this client signs for.
func (c *Client) MchID() string { return c.mchID }

// AppID returns the AppID sent with orders.
func (c *Client) AppID() string { return c.appID }

// Verifier returns the platform keys this client trusts (answers and notifications).
func (c *Client) Verifier() *Verifier { return c.verifier }
