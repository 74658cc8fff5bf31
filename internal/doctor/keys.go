package doctor

import (
	"context"
	"crypto/rsa"
	"fmt"
	"strings"

	"github.com/f2fpay/f2fpay/internal/config"
)

// checkConfig runs serve's own validation (config.Validate) on a copy.
func (d *doctor) checkConfig(context.Context) {
	c := d.cfg
	err := c.Validate()
	if err == nil {
		d.valid = true
		d.cfg = c // with Validate's defaults
		d.add(Result{Name: "configuration", Status: OK, Detail: "valid (" + d.mode() + ", gateway " + d.gateway() + ")"})
		return
	}
	d.add(Result{Name: "configuration", Status: Fail, Detail: strings.ReplaceAll(err.Error(), "\n", "; "),
		Fix: "set what is named, in the YAML file or as F2FPAY_* (README.md, Configuration, lists every setting)"})
}

// mode names the Alipay signing mode of the configuration.
func (d *doctor) mode() string {
	if d.cfg.Alipay.CertMode() {
		return "certificate mode"
	}
	return "public-key mode"
}

// gateway is the Alipay gateway the configuration reaches.
func (d *doctor) gateway() string {
	if u := d.cfg.Alipay.GatewayURL(); u != "" {
		return u
	}
	return "Alipay production"
}

// checkKeys checks that the app private key is readable and belongs to the app public key
// (public-key mode, when app_public_key is given) or to the app certificate's key
// (certificate mode), with the key checks of internal/config.
func (d *doctor) checkKeys(context.Context) {
	const name = "app key pair"
	a := d.cfg.Alipay
	if a.PrivateKey == "" {
		d.add(Result{Name: name, Status: Skip, Detail: "no alipay.private_key"})
		return
	}
	priv, err := config.ParsePrivateKey(a.PrivateKey)
	if err != nil {
		d.add(Result{Name: name, Status: Fail, Detail: err.Error(),
			Fix: "give the app private key as PEM (PKCS#8 or PKCS#1), e.g. the app_private_key.pem that `f2fpay keys gen` wrote, in alipay.private_key or F2FPAY_ALIPAY_PRIVATE_KEY_FILE"})
		return
	}
	mine := config.KeyFingerprint(&priv.PublicKey)
	var r Result
	switch {
	case a.CertMode():
		r = d.certKeyPair(priv)
	case a.AppPublicKey == "":
		r = Result{Status: OK, Detail: fmt.Sprintf("the private key is readable (public key %s); app_public_key is not set, so the signed call below checks the key Alipay has", mine)}
	default:
		if err := config.CheckKeyPair(a.PrivateKey, a.AppPublicKey); err != nil {
			r = Result{Status: Fail, Detail: err.Error(),
				Fix: "alipay.private_key and alipay.app_public_key must be one pair: give the pair `f2fpay keys gen` wrote, and upload that public key in Alipay's open platform"}
		} else {
			r = Result{Status: OK, Detail: "the private key matches app_public_key " + mine}
		}
	}
	if r.Status == OK && priv.N.BitLen() < 2048 {
		r = Result{Status: Warn, Detail: fmt.Sprintf("RSA-%d: Alipay's RSA2 asks for 2048 bits", priv.N.BitLen()),
			Fix: "make a new pair with `f2fpay keys gen` and upload its public key"}
	}
	r.Name = name
	d.add(r)
}

// certKeyPair compares the private key with the app certificate's public key.
func (d *doctor) certKeyPair(priv *rsa.PrivateKey) Result {
	s, err := d.certSet()
	if err != nil {
		return Result{Status: Skip, Detail: "the certificates cannot be read (below)"}
	}
	pub, ok := s.App.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&priv.PublicKey) {
		return Result{Status: Fail, Detail: fmt.Sprintf("the private key (public key %s) is not the key of the app certificate %s",
			config.KeyFingerprint(&priv.PublicKey), s.AppCertSN),
			Fix: "alipay.app_cert must be the certificate Alipay issued for the public key of alipay.private_key: configure the pair you generated the CSR with, or apply for a new certificate"}
	}
	return Result{Status: OK, Detail: "the private key matches the app certificate's key " + config.KeyFingerprint(pub)}
}
