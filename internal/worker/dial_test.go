package worker

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// fakeDNS answers every name from a table: the DNS server an attacker controls.
type fakeDNS map[string][]netip.Addr

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestSafeDialerRefusesEachRange: whatever a name resolves to in a non-public range, the
// dialer refuses it without connecting; the refusal names the host and the range.
func TestSafeDialerRefusesEachRange(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"127.0.0.1", "::1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.169.254",
		"fe80::1", "fd00:ec2::254", "fc00::1", "100.64.0.1", "224.0.0.251", "ff02::1", "0.0.0.0", "::",
		"0.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::7f00:1",
		"64:ff9b::a9fe:a9fe"} {
		d := newSafeDialer(nil, fakeDNS{"hook.test": {netip.MustParseAddr(s)}})
		conn, err := d.DialContext(bg, "tcp", "hook.test:80")
		re, ok := refusal(err)
		if conn != nil || !ok || re.Addr != netip.MustParseAddr(s) || !strings.Contains(err.Error(), "refused to dial hook.test") {
			t.Errorf("%s: conn %v, err %v; want a refusal naming hook.test", s, conn, err)
		}
		if conn != nil {
			conn.Close()
		}
	}
}

// TestSafeDialerAllowAndControl: allow_networks lets exactly its network through; the
// socket hook refuses what the resolver step never saw (an address dialled directly).
func TestSafeDialerAllowAndControl(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	dns := fakeDNS{"hook.test": {netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("127.0.0.1")}}
	allowed := newSafeDialer([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, dns)
	conn, err := allowed.DialContext(bg, "tcp", net.JoinHostPort("hook.test", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("allowed loopback: %v", err)
	}
	if got := conn.RemoteAddr().String(); got != ln.Addr().String() {
		t.Errorf("connected to %s, want %s (the allowed address, skipping 10.9.9.9)", got, ln.Addr())
	}
	conn.Close()
	strict := newSafeDialer(nil, dns)
	if _, err := strict.dialer.DialContext(bg, "tcp", ln.Addr().String()); err == nil {
		t.Fatal("the socket hook let a loopback connect through")
	} else if _, ok := refusal(err); !ok {
		t.Fatalf("socket hook: %v, want a refusal", err)
	}
}

// TestDeliverRefusesRebinding: a webhook URL whose name resolves to loopback at delivery
// time is refused at dial time, so the receiver never sees the signed POST; the attempt
// says why. With the receiver's network in allow_networks, the same event is delivered.
func TestDeliverRefusesRebinding(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock, noEndpoint: true})
	port := e.recv.srv.Listener.Addr().(*net.TCPAddr).Port
	hook := "http://rebind.test:" + strconv.Itoa(port) + "/hook"
	c, _, err := e.svc.CreateMerchant(bg, "rebinding", hook)
	if err != nil {
		t.Fatalf("a host name is judged at dial time, not at create: %v", err)
	}
	if _, _, err := e.svc.Create(bg, c.AppID, payment.CreateRequest{OutTradeNo: "wh_rebind", TotalAmount: 100, Subject: "s"}); err != nil {
		t.Fatal(err)
	}
	e.pay("wh_rebind")
	if _, err := e.svc.Sync(bg, "wh_rebind"); err != nil {
		t.Fatal(err)
	}
	id := e.eventID("wh_rebind", payment.EventPaymentSucceeded)
	dns := fakeDNS{"rebind.test": {netip.MustParseAddr("127.0.0.1")}}
	d := NewDispatcher(e.svc, DispatcherConfig{Clock: clock, Resolver: dns})
	if n, err := d.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce = %d, %v", n, err)
	}
	_, del, attempts, err := e.svc.EventDelivery(bg, c.AppID, id)
	if err != nil || len(attempts) != 1 || del.Status != payment.DeliveryPending ||
		!strings.Contains(attempts[0].Error, "refused to dial rebind.test: 127.0.0.1 is loopback") {
		t.Fatalf("delivery %+v attempts %+v, %v; want one refused attempt", del, attempts, err)
	}
	if n := len(e.recv.got()); n != 0 {
		t.Fatalf("the loopback receiver got %d POSTs", n)
	}
	if _, err := e.svc.ResendEvent(bg, c.AppID, id); err != nil {
		t.Fatal(err)
	}
	open := NewDispatcher(e.svc, DispatcherConfig{Clock: clock, Resolver: dns,
		AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if n, err := open.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce with allow_networks = %d, %v", n, err)
	}
	if hits := e.recv.got(); len(hits) != 1 || hits[0].ID != id {
		t.Fatalf("with allow_networks the receiver got %+v", hits)
	}
}

// TestDeliverNoRedirect: a receiver answering 302 to another address has not received
// the event: the attempt fails and the redirect's target is never contacted.
func TestDeliverNoRedirect(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := newEnv(t, envConfig{clock: clock})
	inner := newReceiver(t)
	e.recv.srv.Config.Handler = http.RedirectHandler(inner.srv.URL+"/hook", http.StatusFound)
	id := e.paidEvent("wh_redirect")
	d := NewDispatcher(e.svc, DispatcherConfig{AllowNetworks: payment.LoopbackNetworks(), Clock: clock})
	if n, err := d.runOnce(bg); n != 1 || err != nil {
		t.Fatalf("runOnce = %d, %v", n, err)
	}
	_, del, attempts, err := e.svc.EventDelivery(bg, e.clientID, id)
	if err != nil || len(attempts) != 1 || attempts[0].StatusCode != http.StatusFound ||
		attempts[0].Error != "HTTP 302 (redirects are not followed)" || del.Status != payment.DeliveryPending {
		t.Fatalf("delivery %+v attempts %+v, %v", del, attempts, err)
	}
	if n := len(inner.got()); n != 0 {
		t.Fatalf("the redirect target got %d POSTs", n)
	}
}
