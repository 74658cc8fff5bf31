package payment

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Webhook targets are dialled on public addresses only (docs/security.md): otherwise any
// merchant client could make the gateway POST to its own loopback, to the cloud metadata
// service or to hosts inside the operator's network. The checks below are shared by the
// create-time validation of notify_url (literal addresses) and by the webhook dialer
// (every address a name resolves to, at dial time).

// blockedV4 are the IPv4 ranges besides those netip classifies itself (loopback, private,
// link-local, multicast, unspecified).
var blockedV4 = []struct {
	p    netip.Prefix
	name string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (0.0.0.0/8)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast (240.0.0.0/4)"},
}

// blockedV6 are the IPv6 ranges refused whole.
var blockedV6 = []struct {
	p    netip.Prefix
	name string
}{
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6 (::/96)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (100::/64)"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (fec0::/10)"},
}

// IPv6 ranges that carry an IPv4 address, which is then judged as IPv4: NAT64 and 6to4
// gateways would otherwise carry a POST to the embedded private address.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// ParseNetworks parses a CIDR list (webhooks.allow_networks); a bare address counts as a
// single-host network. The error names the entry that is neither.
func ParseNetworks(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// LoopbackNetworks are the loopback ranges, which the demo opts in (its merchant and its
// receiver run on the same machine).
func LoopbackNetworks() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// CheckWebhookAddr reports why ip may not receive webhooks, or nil when it may: a public
// unicast address, or one inside allow. IPv4-mapped and -embedding IPv6 forms are judged
// by their IPv4 address; a zone is ignored.
func CheckWebhookAddr(ip netip.Addr, allow []netip.Prefix) error {
	ip = ip.WithZone("")
	v4 := ip.Unmap()
	for _, p := range allow {
		if p.Contains(ip) || p.Contains(v4) {
			return nil
		}
	}
	if why := nonPublic(v4); why != "" {
		return fmt.Errorf("%s is %s", ip, why)
	}
	return nil
}

// nonPublic names the non-public range holding ip, or "" for a public unicast address.
func nonPublic(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "not an address"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate() && ip.Is4():
		return "private (RFC 1918)"
	case ip.IsPrivate():
		return "unique-local (fc00::/7)"
	case ip.IsLinkLocalUnicast():
		return "link-local (cloud metadata lives there)"
	case ip.IsMulticast():
		return "multicast"
	}
	if ip.Is4() {
		for _, b := range blockedV4 {
			if b.p.Contains(ip) {
				return b.name
			}
		}
		return ""
	}
	for _, b := range blockedV6 {
		if b.p.Contains(ip) {
			return b.name
		}
	}
	if embedded, ok := embeddedV4(ip); ok {
		if why := nonPublic(embedded); why != "" {
			return "an IPv6 form of " + embedded.String() + ", " + why
		}
	}
	return ""
}

// embeddedV4 extracts the IPv4 address a NAT64 or 6to4 address carries.
func embeddedV4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixTo4.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// checkWebhookTarget is CheckWebhookURL plus the address rule for a host written as an IP
// literal, so that a private target is refused when it is set rather than at every
// delivery. Host names are judged at dial time, on what they resolve to then.
// Errors: INVALID_PARAMETER naming field.
func (s *Service) checkWebhookTarget(field, raw string) error {
	if err := CheckWebhookURL(field, raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw) // parsed by CheckWebhookURL
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := CheckWebhookAddr(ip, s.cfg.WebhookAllowNetworks); err != nil {
			return Errorf(CodeInvalidParameter, "%s must point at a public address: %v "+
				"(webhooks.allow_networks opts a network in)", field, err)
		}
		return nil
	}
	if numericHost(host) {
		return Errorf(CodeInvalidParameter, "%s host %q is an IP address in a non-standard form; write it in dotted decimal", field, host)
	}
	return nil
}

// numericHost reports whether a host that is not a standard IP literal still reads as one
// (2130706433, 0x7f.1, 127.1): resolvers differ on such forms, and no DNS name has an
// all-numeric top-level label.
func numericHost(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X") {
		return true
	}
	return strings.Trim(last, "0123456789") == ""
}

// DefaultIPv6SourcePrefix is how much of an IPv6 address names one source by default: a
// subscriber commonly holds a whole /64.
const DefaultIPv6SourcePrefix = 64

// SourceKey names the source of a request for per-source limits and lockouts: an IPv4
// address as it is, an IPv6 address by its /v6Prefix network (DefaultIPv6SourcePrefix
// when v6Prefix is outside 1..128), so that rotating addresses inside one subscriber's
// network escapes nothing. An IPv4-mapped IPv6 address counts as its IPv4 address; a string
// that is not an address is returned unchanged.
func SourceKey(ip string, v6Prefix int) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	if v6Prefix < 1 || v6Prefix > 128 {
		v6Prefix = DefaultIPv6SourcePrefix
	}
	p, _ := a.Prefix(v6Prefix)
	return p.String()
}
