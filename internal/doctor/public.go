package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/version"
)

// checkPublicURL resolves public_url's host and asks its /health, the way Alipay's
// notifications and buyers' phones will reach the gateway.
func (d *doctor) checkPublicURL(ctx context.Context) {
	raw := strings.TrimRight(d.cfg.PublicURL, "/")
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Hostname() == "" {
		return // the configuration check said so
	}
	ctx, cancel := d.timeout(ctx)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		d.add(Result{Name: "public_url", Status: Fail, Detail: fmt.Sprintf("%s does not resolve: %v", u.Hostname(), err),
			Fix: "create a DNS record for " + u.Hostname() + " pointing at the host or proxy that serves f2fpay, or correct public_url"})
		return
	}
	d.add(d.reachable(u, addrs))
	d.add(health(ctx, raw))
}

// reachable warns when public_url resolves to an address Alipay cannot reach (not for a
// demo, which is its own Alipay).
func (d *doctor) reachable(u *url.URL, addrs []netip.Addr) Result {
	list := make([]string, len(addrs))
	for i, a := range addrs {
		addrs[i] = a.Unmap()
		list[i] = addrs[i].String()
	}
	detail := fmt.Sprintf("%s resolves to %s", u.Hostname(), strings.Join(list, ", "))
	if _, err := netip.ParseAddr(u.Hostname()); err == nil {
		detail = u.Hostname() + " is an IP address"
	}
	r := Result{Name: "public_url", Status: OK, Detail: detail}
	if d.o.Local {
		return r
	}
	for _, a := range addrs {
		if err := payment.CheckWebhookAddr(a, nil); err != nil {
			r.Status, r.Detail = Warn, r.Detail+"; "+err.Error()+": Alipay's notifications and buyers' phones cannot reach it"
			r.Fix = "public_url must be the address Alipay and buyers reach (the proxy in front of f2fpay, docs/deploy.md)"
			break
		}
	}
	if u.Scheme != "https" && r.Status == OK {
		r.Status, r.Detail = Warn, r.Detail+"; plain http: cashier pages and console cookies travel in clear"
		r.Fix = "serve public_url over https (tls.* or a proxy, docs/deploy.md)"
	}
	return r
}

// health asks public_url/health and reads the version it reports.
func health(ctx context.Context, base string) Result {
	r := Result{Name: "/health"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
	if err != nil {
		r.Status, r.Detail = Fail, err.Error()
		return r
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		r.Status, r.Detail = Fail, fmt.Sprintf("GET %s/health: %v", base, err)
		r.Fix = "start f2fpay serve, and make public_url reach its listen address (the proxy, docs/deploy.md)"
		var bad *tls.CertificateVerificationError
		if errors.As(err, &bad) {
			r.Fix = "the certificate of public_url is not trusted: serve the full chain of a public CA (tls.cert_file or the proxy's)"
		}
		return r
	}
	defer resp.Body.Close()
	var h struct{ Status, Version string }
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &h) != nil || h.Status != "ok" {
		r.Status, r.Detail = Fail, fmt.Sprintf("GET %s/health answered %s: %.80q", base, resp.Status, body)
		r.Fix = "public_url must reach f2fpay itself; the proxy sends it elsewhere (docs/deploy.md)"
		return r
	}
	r.Status, r.Detail = OK, fmt.Sprintf("%s/health answers: f2fpay %s", base, h.Version)
	if h.Version != version.Version {
		r.Status, r.Detail = Warn, r.Detail+", while this doctor is "+version.Version
		r.Fix = "run doctor from the same build as the server, or upgrade the one that is behind"
	}
	return r
}

// checkTLS checks the TLS certificate and key serve loads (tls.cert_file, tls.key_file).
func (d *doctor) checkTLS(context.Context) {
	t := d.cfg.TLS
	if t.CertFile == "" {
		return
	}
	pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		d.add(Result{Name: "TLS certificate", Status: Fail, Detail: err.Error(),
			Fix: "tls.cert_file must be the PEM certificate chain and tls.key_file its private key"})
		return
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		d.add(Result{Name: "TLS certificate", Status: Fail, Detail: err.Error()})
		return
	}
	r := expiry("TLS certificate", leaf, d.now(), "renew the certificate of "+t.CertFile+" (e.g. certbot renew) and restart f2fpay")
	if names := leaf.DNSNames; len(names) > 1 || len(names) == 1 && names[0] != leaf.Subject.CommonName {
		r.Detail += " for " + strings.Join(names, ", ")
	}
	d.add(r)
}
