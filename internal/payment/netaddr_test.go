package payment

import (
	"net/netip"
	"strings"
	"testing"
)

// TestCheckWebhookAddr: every non-public range is refused, in every IPv6 spelling that
// carries it, and allow_networks opts exactly its networks in.
func TestCheckWebhookAddr(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.255.255.254", "::1", // loopback
		"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", // RFC 1918
		"169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%eth0", // link-local, metadata
		"fd00:ec2::254", "fc00::1", // unique-local, AWS's IPv6 metadata address
		"100.64.0.1", "100.127.255.255", // CGNAT
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2", // multicast
		"0.0.0.0", "::", "0.1.2.3", // unspecified, 0.0.0.0/8
		"255.255.255.255", "240.0.0.1", // broadcast, reserved
		"192.0.0.192", "198.18.0.1", // IETF assignments (Oracle's metadata), benchmarking
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:100.64.0.1", // IPv4-mapped
		"::127.0.0.1", "::10.0.0.1", "::8.8.8.8", // IPv4-compatible (deprecated, never public)
		"64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b:1::1", // NAT64 of metadata / loopback, local NAT64
		"2002:7f00:1::1", "2002:a00:1::1", // 6to4 of loopback and 10.0.0.1
		"fec0::1", "100::1",
	}
	for _, s := range refused {
		if err := CheckWebhookAddr(netip.MustParseAddr(s), nil); err == nil {
			t.Errorf("%s accepted as a webhook address", s)
		}
	}
	public := []string{"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "169.255.0.1",
		"2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "223.255.255.255"}
	for _, s := range public {
		if err := CheckWebhookAddr(netip.MustParseAddr(s), nil); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	allow, err := ParseNetworks([]string{"10.1.0.0/16", " 127.0.0.1 ", "fd00:ec2::/32"})
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{"10.1.2.3": true, "::ffff:10.1.2.3": true, "10.2.0.1": false,
		"127.0.0.1": true, "127.0.0.2": false, "fd00:ec2::254": true, "169.254.169.254": false} {
		if got := CheckWebhookAddr(netip.MustParseAddr(s), allow) == nil; got != want {
			t.Errorf("%s with allow_networks: allowed %v, want %v", s, got, want)
		}
	}
	if err := CheckWebhookAddr(netip.MustParseAddr("169.254.169.254"), nil); !strings.Contains(err.Error(), "link-local") {
		t.Errorf("the refusal does not name the range: %v", err)
	}
	if _, err := ParseNetworks([]string{"10.0.0.0/8", "intranet"}); err == nil || !strings.Contains(err.Error(), "intranet") {
		t.Errorf("a bad allow_networks entry: %v", err)
	}
}

// TestWebhookTargetLiterals: notify_url naming a non-public IP literal, or an IP in a
// form resolvers disagree on, is INVALID_PARAMETER naming the field; host names pass (they
// are judged at dial time).
func TestWebhookTargetLiterals(t *testing.T) {
	s := &Service{}
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/", "http://[fd00:ec2::254]/", "https://10.0.0.5/x", "http://100.64.1.1/",
		"http://[fe80::1%25eth0]/", "http://0.0.0.0/", "http://2130706433/", "http://0x7f.1/", "http://127.1/"} {
		err := s.checkWebhookTarget("notify_url", u)
		if ErrorCode(err) != CodeInvalidParameter || !strings.Contains(err.Error(), "notify_url") {
			t.Errorf("%s: %v, want INVALID_PARAMETER naming notify_url", u, err)
		}
	}
	for _, u := range []string{"https://shop.example.com/hook", "http://8.8.8.8/", "http://[2606:4700::1111]:8443/",
		"http://localhost:9/", "http://2fa.example/"} {
		if err := s.checkWebhookTarget("notify_url", u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	s.cfg.WebhookAllowNetworks = LoopbackNetworks()
	if err := s.checkWebhookTarget("notify_url", "http://127.0.0.1:8080/hook"); err != nil {
		t.Errorf("loopback allowed, yet: %v", err)
	}
}

func TestSourceKey(t *testing.T) {
	for _, c := range []struct {
		ip     string
		prefix int
		want   string
	}{
		{"203.0.113.7", 0, "203.0.113.7"},
		{"::ffff:203.0.113.7", 64, "203.0.113.7"},
		{"2001:db8:1:2:aaaa::1", 0, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:3::1", 48, "2001:db8:1::/48"},
		{"2001:db8::1", 128, "2001:db8::1/128"},
		{"fe80::1%eth0", 64, "fe80::/64"},
		{"not-an-ip", 64, "not-an-ip"},
	} {
		if got := SourceKey(c.ip, c.prefix); got != c.want {
			t.Errorf("SourceKey(%q, %d) = %q, want %q", c.ip, c.prefix, got, c.want)
		}
	}
}
