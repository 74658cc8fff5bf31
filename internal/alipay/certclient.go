package alipay

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/smartwalle/alipay/v3"
)

// methodCertDownload is the OpenAPI method that serves an Alipay certificate by SN.
const methodCertDownload = "alipay.open.app.alipaycert.download"

// newCertTrust builds the trust store of certificate mode around the configured Alipay
// certificate. That one is trusted as configured, as the official SDKs do, even when it
// fails the checks a downloaded certificate must pass (Alipay's sandbox, for one, issues its
// certificates under a test root); a warning says so, since its renewals will be refused.
func newCertTrust(cfg Config, ks *keySet, log *slog.Logger) *certTrust {
	roots := x509.NewCertPool()
	for _, r := range ks.roots {
		roots.AddCert(r)
	}
	cache := cfg.CertCache
	if cache == nil {
		cache = &MemoryCertCache{}
	}
	t := &certTrust{roots: roots, cache: cache, log: log, onEvent: cfg.OnCertEvent, now: time.Now,
		sem: make(chan struct{}, 1), certs: map[string]*trustedCert{}}
	sn := certSN(ks.alipayLeaf)
	if _, r := t.check(ks.alipayCert, sn, "configuration"); r != nil {
		log.Warn("the configured Alipay public-key certificate fails the checks against the configured root bundle; "+
			"it is used as configured, but a renewed certificate that fails them too will be refused",
			slog.String("alipay_cert_sn", sn), slog.String("reason", r.Reason), slog.String("detail", r.Detail))
	}
	t.certs[sn] = &trustedCert{sn: sn, cert: ks.alipayLeaf}
	return t
}

// startCertMode connects the trust store to the channel's SDK client, and builds the
// second SDK client that downloads certificates over hc's transport (its answers are never
// shown to answer).
func (c *Channel) startCertMode(t *certTrust, ks *keySet, gateway string, hc *http.Client) error {
	hc.Transport = envelopeTransport{base: hc.Transport, onAnswer: noteCurrent}
	d, err := newSDK(c.appID, ks.privateKey, gateway, hc)
	if err != nil {
		return fmt.Errorf("alipay: app private key: %w", err)
	}
	if err := d.LoadAppCertPublicKey(string(ks.appCert)); err != nil {
		return fmt.Errorf("alipay: app public-key certificate: %w", err)
	}
	client := c.client
	t.load = func(leafPEM []byte) error { return client.LoadAlipayCertPublicKey(string(leafPEM)) }
	t.fetch = c.downloadCert
	c.downloader, c.trust = d, t
	return nil
}

// downloadCert calls alipay.open.app.alipaycert.download for sn. It returns the PEM as
// served, unchecked (certTrust checks it against the root), and the alipay_cert_sn of the
// answer, which names the certificate Alipay signs with now. The answer's signature is not
// verified (the SDK does not verify this method): the certificate's chain is what counts.
func (c *Channel) downloadCert(ctx context.Context, sn string) ([]byte, string, error) {
	var current string
	ctx = context.WithValue(ctx, currentSNKey{}, &current)
	var rsp alipay.CertDownloadRsp
	if err := c.downloader.Request(ctx, c.param(alipay.CertDownload{AliPayCertSN: sn}), &rsp); err != nil {
		return nil, current, fmt.Errorf("%s: %s", methodCertDownload, transportReason(err))
	}
	if string(rsp.Code) != codeSuccess {
		return nil, current, fmt.Errorf("%s: %s %s %s", methodCertDownload, rsp.Code, rsp.SubCode, rsp.SubMsg)
	}
	pemBytes, err := base64.StdEncoding.DecodeString(rsp.AliPayCertContent)
	if err != nil {
		return nil, current, fmt.Errorf("%s: alipay_cert_content is not base64", methodCertDownload)
	}
	return pemBytes, current, nil
}

// currentSNKey carries, in a download's context, where to note its answer's alipay_cert_sn.
type currentSNKey struct{}

func noteCurrent(ctx context.Context, sn string, _ bool) error {
	if p, ok := ctx.Value(currentSNKey{}).(*string); ok {
		*p = sn // RoundTrip runs on the caller's goroutine: no race with downloadCert
	}
	return nil
}

// envelopeTransport shows every answer's alipay_cert_sn to onAnswer before the SDK reads
// the answer, so that an unknown signer is fetched and checked before the SDK verifies
// with it; the SDK exposes no hook between reading the envelope and verifying. The body is
// handed on byte for byte. An onAnswer error fails the call.
type envelopeTransport struct {
	base     http.RoundTripper
	onAnswer func(ctx context.Context, sn string, signed bool) error
}

// RoundTrip sends req with the base transport and shows the answer's envelope.
func (e envelopeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := e.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	var env struct {
		SN   string `json:"alipay_cert_sn"`
		Sign string `json:"sign"`
	}
	if json.Unmarshal(body, &env) == nil && env.SN != "" {
		if err := e.onAnswer(req.Context(), env.SN, env.Sign != ""); err != nil {
			return nil, err
		}
	}
	return resp, nil
}
