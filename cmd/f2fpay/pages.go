package main

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/metrics"
	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/web"
)

// AdminConfig is the operator console's configuration (issue 6).
type AdminConfig struct {
	// PasswordHash is the bcrypt hash of the console password (`htpasswd -bnBC 12 "" PASSWORD
	// | tr -d ':\n'` makes one); empty switches the console off.
	PasswordHash string `yaml:"password_hash"`
	// SecureCookies marks the console cookies Secure although requests arrive over plain
	// HTTP (TLS ends at a proxy). It is implied by an https public_url.
	SecureCookies bool `yaml:"secure_cookies"`
	// MerchantName is shown on the cashier page; default "f2fpay".
	MerchantName string `yaml:"merchant_name"`
}

// newPages builds the notifier (fed by every committed order change) and the cashier and
// console pages of a gateway.
func newPages(svc *payment.Service, o gatewayOptions) (*notifier.Notifier, *web.Handler, error) {
	st := svc.Store()
	if o.calls != nil {
		o.calls.attach(st)
	}
	notes := notifier.New(st)
	svc.OnChange(notes.Publish)
	pages, err := web.New(web.Config{Service: svc, Notifier: notes, Logger: o.log.With("component", "web"),
		MerchantName: o.admin.MerchantName, AdminPasswordHash: o.admin.PasswordHash,
		SecureCookies: o.admin.SecureCookies || strings.HasPrefix(o.publicURL, "https://")})
	return notes, pages, err
}

// callLog keeps the Alipay channel's call records (for the console's order timeline) in the
// store, and counts them in the metrics. The channel is built before the store is open, so
// the store and the metrics are attached later; calls made before that are not kept.
type callLog struct {
	store   atomic.Value
	metrics atomic.Pointer[metrics.Metrics]
	certs   alipay.MemoryCertCache // until the store is attached (certcache.go)
}

func (l *callLog) attach(st payment.Store) { l.store.Store(st) }

// record is the channel's Recorder.
func (l *callLog) record(c payment.ChannelCall) {
	if m := l.metrics.Load(); m != nil {
		m.ObserveAlipayCall(c)
	}
	if st, ok := l.store.Load().(payment.Store); ok {
		_ = st.InsertChannelCall(context.Background(), &c)
	}
}
