package wechatpay

import (
	"errors"
	"strings"
	"testing"
)

// nodeVector was produced with Node.js's crypto (OpenSSL's AES-256-GCM), independently of
// this package:
//
//	const c = require('crypto');
//	const ci = c.createCipheriv('aes-256-gcm', Buffer.from('f2fpay-apiv3-test-key-0123456789'), Buffer.from('a7d3e9c1b5f2'));
//	ci.setAAD(Buffer.from('transaction'));
//	console.log(Buffer.concat([ci.update(plaintext, 'utf8'), ci.final(), ci.getAuthTag()]).toString('base64'));
const (
	nodeAPIv3Key    = "f2fpay-apiv3-test-key-0123456789"
	nodeNonce       = "a7d3e9c1b5f2"
	nodeAD          = "transaction"
	nodePlaintext   = `{"mchid":"1900000109","appid":"wxd678efh567hg6787","out_trade_no":"f2f20240605001","transaction_id":"4200000001202406050123456789","trade_type":"NATIVE","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"OTHERS","success_time":"2024-06-05T12:00:01+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":990,"payer_total":990,"currency":"CNY","payer_currency":"CNY"}}`
	nodeCiphertext  = "FdnONsRFgVAAyODqvot/Y6bWtGLJVpCg+bE3O++6oa3Rtts6RbPSKKcUZQlz55juKgXEntDTDyDWx8V3/UUtdqzbbeK1NylLipyt6HDht42zno0W64AtZ4IR69LUKOhda+VtCRUY80DMNG8JD/hmRJaRVo4LC1LX/vzlge69zsFr9VWy2JfzYpnIdtCH2ED4wFWH2rR2duWjJwglchGH28QZ+n4eA+9h5Mq0KgQkRbWnT2jh4E3B3tOLaHrM8pd9cijTvU2+715/rSiKlg+ekM1u0N9Ck3XzyXsPmpEa+JYoDCVc+9MZManVWoKKMvOc4qpJbu/tzP0QN1hb0m01172oAIvogf6d+I0MJEPK+Cqr/pVuhYADksrmS0o4KDVWkrJ8FkX0PmD7mZEsi7nDlbVSlH65OjPDlrshZbI0M6iUeujrH+odr5ql+qK5seQAx1lGeD8DmAVcY47MkWCslfk5Y+XB+XWwv3tdFISbIK/OFtA4b2mTn9ExHSUCv1+3WYztRADh3GXRduOphOQDg3zUoa7PeZhnjD6NZnJIK+a47M1MQI0="
	nodeOriginalTyp = "transaction"
)

func nodeResource() Resource {
	return Resource{OriginalType: nodeOriginalTyp, Algorithm: AlgorithmAES256GCM, Ciphertext: nodeCiphertext,
		AssociatedData: nodeAD, Nonce: nodeNonce}
}

func TestDecryptIndependentVector(t *testing.T) {
	pt, err := Decrypt(nodeAPIv3Key, nodeResource())
	if err != nil {
		t.Fatal(err)
	}
	if string(pt) != nodePlaintext {
		t.Fatalf("plaintext %s", pt)
	}
	// Encrypt is deterministic for a given nonce, so it must reproduce Node's ciphertext.
	r, err := Encrypt(nodeAPIv3Key, nodeOriginalTyp, nodeAD, nodeNonce, []byte(nodePlaintext))
	if err != nil || r != nodeResource() {
		t.Fatalf("Encrypt = %+v, %v", r, err)
	}
}

// The official Go SDK's AES test (utils): its key is 16 bytes, so that vector is AES-128-GCM;
// it still checks the nonce, associated data and tag layout shared with AES-256.
func TestOpenGCMOfficialSDKVector(t *testing.T) {
	r := Resource{Algorithm: AlgorithmAES256GCM, Ciphertext: "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC",
		AssociatedData: "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8", Nonce: "wCq51qZv4Yfg"}
	pt, err := openGCM([]byte("testAPIv3Key0000"), r)
	if err != nil || string(pt) != "Hello World" {
		t.Fatalf("got %q, %v", pt, err)
	}
	if _, err := Decrypt("testAPIv3Key0000", r); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("a 16-byte APIv3 key was accepted: %v", err)
	}
}

func TestDecryptRefusesTampering(t *testing.T) {
	mut := map[string]func(*Resource){
		"associated data":  func(r *Resource) { r.AssociatedData = "refund" },
		"nonce":            func(r *Resource) { r.Nonce = "a7d3e9c1b5f3" },
		"short nonce":      func(r *Resource) { r.Nonce = "a7d3" },
		"ciphertext":       func(r *Resource) { r.Ciphertext = "G" + r.Ciphertext[1:] },
		"not base64":       func(r *Resource) { r.Ciphertext = "***" },
		"shorter than tag": func(r *Resource) { r.Ciphertext = "AAAA" },
	}
	for name, m := range mut {
		r := nodeResource()
		m(&r)
		if _, err := Decrypt(nodeAPIv3Key, r); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}
	if _, err := Decrypt(strings.Repeat("k", 32), nodeResource()); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong key: %v", err)
	}
	r := nodeResource()
	r.Algorithm = "AEAD_SM4_GCM"
	if _, err := Decrypt(nodeAPIv3Key, r); !errors.Is(err, ErrDecrypt) {
		t.Errorf("other algorithm: %v", err)
	}
}
