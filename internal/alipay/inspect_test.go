package alipay

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestProbeQuery: a made-up order gets ACQ.TRADE_NOT_EXIST and is not recorded; an
// answer signed by another key is a bad signature; the transport carries every call.
func TestProbeQuery(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ch, _, rec := e.app(t)
	p := ch.ProbeQuery(bg, "doctor_probe")
	if p.SubCode != subNotExist || p.BadSignature || payment.ErrorCode(p.Err) != payment.CodeUpstreamRejected {
		t.Fatalf("made-up order: %+v", p)
	}
	if n := len(rec.methods()); n != 0 {
		t.Errorf("the probe was recorded: %d calls", n)
	}
	var calls atomic.Int64
	_, appID, _ := e.app(t)
	wrong, err := New(Config{AppID: appID, PrivateKey: privPKCS8PEM(testKey(t, 0)), AlipayPublicKey: pubPEM(&testKey(t, 1).PublicKey),
		GatewayURL: e.gateway, Transport: countingTransport{&calls}})
	if err != nil {
		t.Fatal(err)
	}
	if p := wrong.ProbeQuery(bg, "doctor_probe"); !p.BadSignature || p.Code != "" {
		t.Fatalf("wrong Alipay key: %+v", p)
	}
	if calls.Load() != 1 {
		t.Errorf("the configured transport carried %d calls, want 1", calls.Load())
	}
}

// TestInspectAndCheckCerts: InspectCerts gives the sandbox's SNs, and CheckAlipayCerts
// finds, after a renewal, the new certificate fetched and checked against the root.
func TestInspectAndCheckCerts(t *testing.T) {
	e := newEnv(t)
	ch, _, b := certApp(t, e, nil)
	s, err := InspectCerts(b.AppCertPEM, b.AlipayCertPEM, b.RootCertPEM, time.Now())
	if err != nil || s.AppCertSN != b.AppCertSN || s.AlipayCertSN != b.AlipayCertSN || s.RootCertSN != b.RootCertSN || s.AlipayRefusal != nil {
		t.Fatalf("InspectCerts = %+v, %v; want the sandbox's %s %s %s", s, err, b.AppCertSN, b.AlipayCertSN, b.RootCertSN)
	}
	if len(s.Roots) != 2 || !s.RSARoots[0] || s.RSARoots[1] {
		t.Errorf("roots: %d, RSA family %v; want the RSA root in, the ECDSA one out", len(s.Roots), s.RSARoots)
	}
	if s, _ := InspectCerts(b.AppCertPEM, b.AlipayCertPEM, b.RootCertPEM, time.Now().AddDate(20, 0, 0)); s.AlipayRefusal == nil ||
		s.AlipayRefusal.Reason != RefusedExpired {
		t.Errorf("20 years on, the Alipay certificate is not refused as expired: %+v", s.AlipayRefusal)
	}
	if _, err := InspectCerts(b.AppCertPEM, b.AlipayCertPEM, []byte("none"), time.Now()); err == nil || !strings.Contains(err.Error(), "root") {
		t.Errorf("unreadable root: %v", err)
	}
	c, err := ch.CheckAlipayCerts(bg)
	if err != nil || c.Current != b.AlipayCertSN || !c.CurrentTrusted || len(c.Refused) != 0 {
		t.Fatalf("before renewal: %+v, %v", c, err)
	}
	rot, err := e.sb.RotateAlipayCert()
	if err != nil {
		t.Fatal(err)
	}
	if c, err = ch.CheckAlipayCerts(bg); err != nil || c.Current != rot.AlipayCertSN || !c.CurrentTrusted {
		t.Fatalf("after renewal: %+v, %v", c, err)
	}
	pk, _, _ := e.app(t)
	if _, err := pk.CheckAlipayCerts(bg); err == nil {
		t.Error("public-key mode has certificates to check")
	}
}

type countingTransport struct{ n *atomic.Int64 }

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}
