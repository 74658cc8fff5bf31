// Package alipay is the payment.Channel over github.com/smartwalle/alipay/v3: Alipay's
// face-to-face API (precreate, query, refund, refund query, close/cancel) and the
// verification of its asynchronous notifications. It is the only package that imports the
// SDK; everything it returns is a payment type or a *payment.Error.
package alipay

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
	_ "time/tzdata" // Asia/Shanghai must load on hosts without zoneinfo (distroless, scratch)

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// ProductionGateway is Alipay's production gateway, used when Config.GatewayURL is empty.
const ProductionGateway = "https://openapi.alipay.com/gateway.do"

// DefaultTimeout bounds one HTTP call to Alipay when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// timeLayout is how Alipay writes every timestamp, always in Beijing time.
const timeLayout = "2006-01-02 15:04:05"

// shanghai is Beijing time. Alipay reads and writes every timestamp in it, whatever the
// host's zone; time/tzdata guarantees it loads.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}()

// Config configures a Channel. Public-key mode sets AlipayPublicKey; certificate mode sets
// AppCertPEM, AlipayCertPEM and RootCertPEM instead (never both).
type Config struct {
	AppID           string
	PrivateKey      string // app private key: PEM (PKCS#1 or PKCS#8) or bare base64
	AlipayPublicKey string // public-key mode: Alipay's public key, PEM or bare base64

	// Certificate mode: the app public-key certificate, the Alipay public-key certificate
	// and Alipay's root certificate bundle, as downloaded from the open platform.
	AppCertPEM, AlipayCertPEM, RootCertPEM []byte

	GatewayURL string        // "" = ProductionGateway; any http(s) URL works (simulator, Alipay sandbox)
	SellerID   string        // optional; the service checks notifications against it
	Timeout    time.Duration // per HTTP call; 0 = DefaultTimeout
	Logger     *slog.Logger  // nil = discard

	// Recorder, when set, is called synchronously after every call to Alipay with the method,
	// the business parameters (never keys or signatures), the outcome and a response summary.
	// Certificate downloads are not recorded here (they belong to no order): see OnCertEvent.
	Recorder func(payment.ChannelCall)

	// CertCache, in certificate mode, shares the Alipay certificates the channel downloads
	// between instances (the database); nil keeps them in this process only.
	CertCache CertCache
	// OnCertEvent, when set, is called synchronously with one of the CertEvent* kinds each
	// time certificate mode downloads, trusts, refuses or skips an Alipay certificate.
	OnCertEvent func(kind string)

	// Transport carries every request to the gateway; nil = http.DefaultTransport. doctor
	// reads the answers' Date header through it.
	Transport http.RoundTripper
}

// Channel implements payment.Channel against one Alipay app. It is safe for concurrent use.
type Channel struct {
	client   *alipay.Client
	appID    string
	sellerID string
	log      *slog.Logger
	record   func(payment.ChannelCall)
	timeout  time.Duration

	// Certificate mode only (certsn.go, certtrust.go): the root SN sent with every request,
	// the Alipay certificates trusted, and the SDK client that downloads new ones.
	rootSN     string
	trust      *certTrust
	downloader *alipay.Client

	http *http.Client // the bill download's (billdownload.go)
}

var _ payment.Channel = (*Channel)(nil)

// New checks cfg and builds the Channel. Its errors name the problem: a missing AppID, an
// unparseable key or certificate, a mix of the two modes, a bad gateway URL. It does not
// call Alipay.
func New(cfg Config) (*Channel, error) {
	if cfg.AppID == "" {
		return nil, errors.New("alipay: AppID is required")
	}
	gateway := cfg.GatewayURL
	if gateway == "" {
		gateway = ProductionGateway
	}
	if u, err := url.Parse(gateway); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("alipay: gateway URL %q: want an absolute http(s) URL", gateway)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	keys, err := loadKeys(cfg)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With(slog.String("component", "alipay"), slog.String("app_id", cfg.AppID))
	base := cfg.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc := &http.Client{Timeout: timeout, Transport: base}
	var trust *certTrust
	if keys.rootSN != "" {
		trust = newCertTrust(cfg, keys, log)
		hc.Transport = envelopeTransport{base: base, onAnswer: trust.answer}
	}
	client, err := newSDK(cfg.AppID, keys.privateKey, gateway, hc)
	if err != nil {
		return nil, fmt.Errorf("alipay: app private key: %w", err)
	}
	if err := keys.load(client); err != nil {
		return nil, err
	}
	c := &Channel{client: client, appID: cfg.AppID, sellerID: cfg.SellerID, log: log, record: cfg.Recorder,
		timeout: timeout, rootSN: keys.rootSN,
		// The bill's link is not the gateway: a plain transport, and a longer timeout than
		// a call's, since a busy day's zip is megabytes.
		http: &http.Client{Timeout: max(timeout, billTimeout)}}
	if trust != nil {
		if err := c.startCertMode(trust, keys, gateway, &http.Client{Timeout: timeout, Transport: base}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// newSDK builds an SDK client for the gateway. The SDK's "production" flag does one more
// thing besides choosing the default URL: on a response signed by an unknown certificate
// it downloads that certificate from the gateway and trusts it without checking it against
// the root. We never want that, so we always pass false and set the gateway ourselves;
// certificate mode fetches and checks unknown certificates itself (certtrust.go).
func newSDK(appID, privateKey, gateway string, hc *http.Client) (*alipay.Client, error) {
	return alipay.New(appID, privateKey, false,
		alipay.WithSandboxGateway(gateway),
		alipay.WithTimeLocation(shanghai),
		alipay.WithHTTPClient(hc),
	)
}

// AppID returns the Alipay app this channel signs for.
func (c *Channel) AppID() string { return c.appID }

// SellerID returns the configured seller (2088…) or "" when none is configured.
func (c *Channel) SellerID() string { return c.sellerID }

// formatTime writes t as Alipay expects it: Beijing time, second precision.
func formatTime(t time.Time) string { return t.In(shanghai).Format(timeLayout) }

// parseTime reads an Alipay timestamp in Beijing time. A fractional second (".000", as in
// gmt_refund) is accepted; the result is in UTC. Empty input gives nil.
func parseTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation(timeLayout, s, shanghai)
	if err != nil {
		return nil, fmt.Errorf("time %q: want yyyy-MM-dd HH:mm:ss", s)
	}
	t = t.UTC()
	return &t, nil
}
