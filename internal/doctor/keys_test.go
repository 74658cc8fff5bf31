package doctor

import (
	"testing"

	"github.com/f2fpay/f2fpay/internal/config"
)

// TestWrongKeyPair: a private key that is not app_public_key's fails the key check
// (naming both fingerprints) before any call, and serve's validation too.
func TestWrongKeyPair(t *testing.T) {
	b := setup(t)
	rs := b.run(t, func(c *config.Config, _ *Options) { c.Alipay.PrivateKey = privPEM(b.bad) })
	want(t, rs, "app key pair", Fail, config.KeyFingerprint(&b.bad.PublicKey), config.KeyFingerprint(&b.key.PublicKey), "f2fpay keys gen")
	want(t, rs, "configuration", Fail, "does not match")
	want(t, rs, "gateway", Fail, "isv.invalid-signature")
	rs = b.run(t, func(c *config.Config, _ *Options) { c.Alipay.PrivateKey = "not a key" })
	want(t, rs, "app key pair", Fail, "neither PEM nor base64")
	want(t, rs, "gateway", Skip)
}
