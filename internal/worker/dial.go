package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Resolver looks up the addresses of a host name; *net.Resolver satisfies it, and tests
// inject their own to play a DNS server that answers what an attacker wants.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// RefusedError is a webhook dial refused because the address is not public and not
// opted in by webhooks.allow_networks (docs/security.md).
type RefusedError struct {
	Host string // as the URL names it
	Addr netip.Addr
	Why  error
}

func (e *RefusedError) Error() string {
	if e.Host == e.Addr.String() {
		return fmt.Sprintf("refused to dial: %v (webhooks.allow_networks opts networks in)", e.Why)
	}
	return fmt.Sprintf("refused to dial %s: %v (webhooks.allow_networks opts networks in)", e.Host, e.Why)
}

// safeDialer dials webhook targets on allowed addresses only. It checks every address at
// dial time, after resolution, so that a name that resolved to a public address when
// notify_url was set (or that a DNS server answers differently each time: rebinding)
// still cannot reach a private one; the socket's Control hook checks the address once
// more, right before connect, so that no other path through the dialer skips the rule.
type safeDialer struct {
	allow    []netip.Prefix
	resolver Resolver
	dialer   net.Dialer
}

func newSafeDialer(allow []netip.Prefix, r Resolver) *safeDialer {
	if r == nil {
		r = net.DefaultResolver
	}
	d := &safeDialer{allow: allow, resolver: r}
	d.dialer = net.Dialer{Timeout: 10 * time.Second, Control: d.control}
	return d
}

// DialContext resolves address's host and connects to the first allowed address that
// answers; with none allowed it returns a *RefusedError.
func (d *safeDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("bad port %q", portStr)
	}
	ips, err := d.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var refused, last error
	for _, ip := range ips {
		if why := payment.CheckWebhookAddr(ip, d.allow); why != nil {
			refused = &RefusedError{Host: host, Addr: ip, Why: why}
			continue
		}
		conn, err := d.dialer.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		last = err
	}
	if last != nil {
		return nil, last
	}
	if refused == nil {
		refused = fmt.Errorf("%s has no address", host)
	}
	return nil, refused
}

func (d *safeDialer) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	return d.resolver.LookupNetIP(ctx, "ip", host)
}

// control runs on the socket just before connect, with the address actually dialled.
func (d *safeDialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused to dial %q: not an address", address)
	}
	if why := payment.CheckWebhookAddr(ap.Addr(), d.allow); why != nil {
		return &RefusedError{Host: ap.Addr().String(), Addr: ap.Addr(), Why: why}
	}
	return nil
}

// newWebhookClient is the dispatcher's HTTP client: dials through a safeDialer, never
// through a proxy from the environment (the proxy would dial for us, unchecked), and never
// follows a redirect (a 3xx is a failed attempt; following it would let a public receiver
// send the signed POST on to a private one).
func newWebhookClient(allow []netip.Prefix, r Resolver) *http.Client {
	d := newSafeDialer(allow, r)
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// refusal returns the RefusedError inside err, if any.
func refusal(err error) (*RefusedError, bool) {
	var re *RefusedError
	ok := errors.As(err, &re)
	return re, ok
}
