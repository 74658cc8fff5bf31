package wechatpay

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// The official Go SDK's notification test (core/notify): a platform certificate (serial
// D7CE59D1F522D701, valid 2021-04-27 to 2031-04-25) and a notification it signed at
// 1624523846.
const (
	sdkPlatformCert = `-----BEGIN CERTIFICATE-----
MIIDVzCCAj+gAwIBAgIJANfOWdH1ItcBMA0GCSqGSIb3DQEBCwUAMEIxCzAJBgNV
BAYTAlhYMRUwEwYDVQQHDAxEZWZhdWx0IENpdHkxHDAaBgNVBAoME0RlZmF1bHQg
Q29tcGFueSBMdGQwHhcNMjEwNDI3MDg1NTIzWhcNMzEwNDI1MDg1NTIzWjBCMQsw
CQYDVQQGEwJYWDEVMBMGA1UEBwwMRGVmYXVsdCBDaXR5MRwwGgYDVQQKDBNEZWZh
dWx0IENvbXBhbnkgTHRkMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
2VCTd91fnUn73Xy9DLvt/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXag
HQ4vGeZN0yqm++rDsGK+U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOm
DeJf2vg6byms9RUipiq4SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B83
4uxl1zNLYQCrkdBzb8oUxwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGf
y8wus7hwKz6clt3Whmmda7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtk
aSef4FdEEgEXJiw0VAJT8wIDAQABo1AwTjAdBgNVHQ4EFgQUT1c7nd/SUO76HSoZ
umNUJv1R5PwwHwYDVR0jBBgwFoAUT1c7nd/SUO76HSoZumNUJv1R5PwwDAYDVR0T
BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAfTjxKRQMzNB/U6ZoCUS+BSNfa2Oh
0plMN6ZuzwiVVZwg1jywvv5yv04koS7Pd4i9E4gt9ZBUQXlpq+A3oOCEEHNRR6b2
kyazGRM7s0OP5X21WrbpSmKmU6K7hkfx30yYs08LVs/Q8DIhvaj1FCFeJzUCzYn/
fHMq4tsbKO0dKAeydPM/nrUZBmaYQVKMVOORGLFjFKVO7JV6Kq/R86ouhjEPgJOe
2xulNBUcjicqtZlBdEh/PWCYP2SpGVDclKm8jeo175T3EVAkdKzzmfpxtMmnMlmq
cTJOU9TxuGvNASMtjj7pYIerTx+xgZDXEVBWFW9PjJ0TV06tCRsgSHItgg==
-----END CERTIFICATE-----`
	sdkNotifySerial    = "D7CE59D1F522D701"
	sdkNotifyTimestamp = 1624523846
	sdkNotifyNonce     = "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz"
	sdkNotifySignature = "tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXF" +
		"lbYZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1I" +
		"BLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY4" +
		"06ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q=="
	sdkNotifyBody = `{"id":"3119dfba-e649-5eec-ab1e-3412bc4d2e17","create_time":"2021-06-24T16:37:26+08:00",` +
		`"resource_type":"encrypt-resource","event_type":"PAYSCORE.USER_OPEN_SERVICE","summary":"签约成功",` +
		`"resource":{"original_type":"payscore","algorithm":"AEAD_AES_256_GCM","ciphertext":"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZt` +
		`tevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR` +
		`7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==","associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}`
)

func sdkNotifyHeaders() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderNonce, sdkNotifyNonce)
	h.Set(HeaderTimestamp, "1624523846")
	h.Set(HeaderSerial, sdkNotifySerial)
	h.Set(HeaderSignature, sdkNotifySignature)
	return h
}

func sdkVerifier(t *testing.T) *Verifier {
	t.Helper()
	cert, err := ParseCertificate(sdkPlatformCert)
	if err != nil {
		t.Fatal(err)
	}
	if got := CertificateSerial(cert); got != sdkNotifySerial {
		t.Fatalf("certificate serial %s, want %s", got, sdkNotifySerial)
	}
	v := NewVerifier()
	if err := v.AddCertificate(cert); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyOfficialNotificationVector(t *testing.T) {
	v := sdkVerifier(t)
	at := time.Unix(sdkNotifyTimestamp, 0)
	if err := v.Verify(sdkNotifyHeaders(), []byte(sdkNotifyBody), at); err != nil {
		t.Fatalf("the SDK's notification does not verify: %v", err)
	}
	tampered := []byte(sdkNotifyBody)
	tampered[10] ^= 1
	cases := map[string]func() (http.Header, []byte, time.Time){
		"body changed": func() (http.Header, []byte, time.Time) { return sdkNotifyHeaders(), tampered, at },
		"5 min 1 s later": func() (http.Header, []byte, time.Time) {
			return sdkNotifyHeaders(), []byte(sdkNotifyBody), at.Add(5*time.Minute + time.Second)
		},
		"5 min 1 s before": func() (http.Header, []byte, time.Time) {
			return sdkNotifyHeaders(), []byte(sdkNotifyBody), at.Add(-5*time.Minute - time.Second)
		},
		"certificate expired": func() (http.Header, []byte, time.Time) {
			h := sdkNotifyHeaders()
			h.Set(HeaderTimestamp, "1965000000") // 2032, after the certificate's end
			return h, []byte(sdkNotifyBody), time.Unix(1965000000, 0)
		},
		"unknown serial": func() (http.Header, []byte, time.Time) {
			h := sdkNotifyHeaders()
			h.Set(HeaderSerial, "PUB_KEY_ID_0000000000000024101100397200000006")
			return h, []byte(sdkNotifyBody), at
		},
		"no nonce": func() (http.Header, []byte, time.Time) {
			h := sdkNotifyHeaders()
			h.Del(HeaderNonce)
			return h, []byte(sdkNotifyBody), at
		},
		"signature probe": func() (http.Header, []byte, time.Time) {
			h := sdkNotifyHeaders()
			h.Set(HeaderSignature, "WECHATPAY/SIGNTEST/"+sdkNotifySignature[19:])
			return h, []byte(sdkNotifyBody), at
		},
		"other signature type": func() (http.Header, []byte, time.Time) {
			h := sdkNotifyHeaders()
			h.Set(HeaderSignatureType, "WECHATPAY2-SM2-WITH-SM3")
			return h, []byte(sdkNotifyBody), at
		},
	}
	for name, c := range cases {
		h, body, now := c()
		if err := v.Verify(h, body, now); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: got %v, want ErrSignature", name, err)
		}
	}
	// Within the window either way it still verifies.
	if err := v.Verify(sdkNotifyHeaders(), []byte(sdkNotifyBody), at.Add(-5*time.Minute)); err != nil {
		t.Errorf("5 minutes early: %v", err)
	}
}

// Public-key mode: Wechatpay-Serial carries the key's PUB_KEY_ID_….
func TestVerifyPublicKeyMode(t *testing.T) {
	key := otherKey(t)
	const id = "PUB_KEY_ID_0114232134912410000000000000"
	v := NewVerifier()
	if err := v.AddPublicKey("", &key.PublicKey); err == nil {
		t.Fatal("a key without an id was added")
	}
	if err := v.AddPublicKey(id, &key.PublicKey); err != nil {
		t.Fatal(err)
	}
	if v.Serial() != id {
		t.Fatalf("Serial() = %q", v.Serial())
	}
	now := time.Unix(1722850421, 0)
	body := []byte(`{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}`)
	if err := v.Verify(signedHeaders(t, key, id, now, body), body, now); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(signedHeaders(t, key, id, now, nil), nil, now); err != nil {
		t.Fatalf("empty body (204): %v", err)
	}
	if err := v.Verify(signedHeaders(t, sdkKey(t), id, now, body), body, now); !errors.Is(err, ErrSignature) {
		t.Fatalf("another key's signature: %v", err)
	}
}
