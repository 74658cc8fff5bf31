package wechatpay

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The official Go SDK's signer test: SHA256withRSA("source") under its test key. PKCS #1
// v1.5 is deterministic, so a different digest, padding or encoding changes the value.
func TestSignMatchesOfficialSDKVector(t *testing.T) {
	got, err := Sign(sdkKey(t), "source")
	if err != nil {
		t.Fatal(err)
	}
	if got != sdkSignatureOfSource {
		t.Fatalf("signature of \"source\":\n got %s\nwant %s", got, sdkSignatureOfSource)
	}
	pub, err := ParsePublicKey(sdkPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(pub, "source", sdkSignatureOfSource); err != nil {
		t.Fatalf("the SDK's signature does not verify: %v", err)
	}
	if err := VerifySignature(pub, "wrong source", sdkSignatureOfSource); !errors.Is(err, ErrSignature) {
		t.Fatalf("a changed message verified: %v", err)
	}
}

// The string to sign, against the example of WeChat Pay's signing guide (GET of
// /v3/certificates at 1554208460 with nonce 593BEC0C…) and the official Go SDK's
// credential test (POST with the body "Hello World!\n": the line break is doubled).
func TestRequestMessageMatchesDocumentedExamples(t *testing.T) {
	cases := []struct{ method, url, ts, nonce, body, want string }{
		{"GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", "",
			"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"},
		{"GET", "/v3/certificates", "1624523846", "A1B2C3D4E5F6G7", "",
			"GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n"},
		{"POST", "/v3/certificates", "1624523846", "A1B2C3D4E5F6G7", "Hello World!\n",
			"POST\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\nHello World!\n\n"},
	}
	for _, c := range cases {
		if got := RequestMessage(c.method, c.url, c.ts, c.nonce, []byte(c.body)); got != c.want {
			t.Errorf("RequestMessage(%s %s) = %q, want %q", c.method, c.url, got, c.want)
		}
	}
	if got, want := ResponseMessage("1722850421", "d824f2e086d3c1df967785d13fcd22ef",
		[]byte(`{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}`)),
		"1722850421\nd824f2e086d3c1df967785d13fcd22ef\n{\"code_url\":\"weixin://wxpay/bizpayurl?pr=JyC91EIz1\"}\n"; got != want {
		t.Errorf("ResponseMessage = %q, want the documented %q", got, want)
	}
}

// The header layout of the official Go SDK's credential test, with our scheme.
func TestAuthorizationStringMatchesSDKLayout(t *testing.T) {
	a := Authorization{MchID: "1234567890", NonceStr: "A1B2C3D4E5F6G7", Timestamp: "1624523846",
		SerialNo: "0123456789ABC", Signature: "c2ln"}
	want := `WECHATPAY2-SHA256-RSA2048 mchid="1234567890",nonce_str="A1B2C3D4E5F6G7",timestamp="1624523846",` +
		`serial_no="0123456789ABC",signature="c2ln"`
	if a.String() != want {
		t.Fatalf("got  %s\nwant %s", a, want)
	}
	back, err := ParseAuthorization(want)
	if err != nil || back != a {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}

func TestParseAuthorizationAcceptsAnyOrderAndSpaces(t *testing.T) {
	v := `WECHATPAY2-SHA256-RSA2048 signature="c2ln", serial_no="S1" ,timestamp="1700000000",nonce_str="N",mchid="1900000109"`
	a, err := ParseAuthorization(v)
	if err != nil {
		t.Fatal(err)
	}
	if a.MchID != "1900000109" || a.SerialNo != "S1" || a.NonceStr != "N" || a.Timestamp != "1700000000" || a.Signature != "c2ln" {
		t.Fatalf("parsed %+v", a)
	}
}

func TestParseAuthorizationRefusesMalformed(t *testing.T) {
	ok := `mchid="1",nonce_str="N",timestamp="1700000000",serial_no="S",signature="c2ln"`
	bad := map[string]string{
		"wrong scheme":     `WECHATPAY2-SHA256-RSA4096 ` + ok,
		"no scheme":        ok,
		"missing field":    AuthScheme + ` mchid="1",nonce_str="N",timestamp="1700000000",serial_no="S"`,
		"repeated field":   AuthScheme + ` ` + ok + `,mchid="2"`,
		"unknown field":    AuthScheme + ` ` + ok + `,extra="x"`,
		"unquoted value":   AuthScheme + ` mchid=1,nonce_str="N",timestamp="1700000000",serial_no="S",signature="c2ln"`,
		"empty value":      AuthScheme + ` mchid="",nonce_str="N",timestamp="1700000000",serial_no="S",signature="c2ln"`,
		"letter timestamp": AuthScheme + ` mchid="1",nonce_str="N",timestamp="17e8",serial_no="S",signature="c2ln"`,
		"signed timestamp": AuthScheme + ` mchid="1",nonce_str="N",timestamp="-1",serial_no="S",signature="c2ln"`,
	}
	for name, v := range bad {
		if _, err := ParseAuthorization(v); err == nil {
			t.Errorf("%s: accepted %q", name, v)
		}
	}
}

// Authorize signs exactly the documented string: a verifier rebuilding it from the header
// and the request accepts the signature.
func TestSignerAuthorizeVerifiesOverRequestMessage(t *testing.T) {
	key := otherKey(t)
	s := Signer{MchID: "1900000109", SerialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", Key: key}
	body := []byte(`{"mchid":"1900000109"}`)
	now := time.Unix(1717560000, 0)
	h, err := s.Authorize("POST", "/v3/pay/transactions/out-trade-no/f2f001/close", body, now)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAuthorization(h)
	if err != nil {
		t.Fatal(err)
	}
	if a.Timestamp != "1717560000" || len(a.NonceStr) != 32 || strings.ToUpper(a.NonceStr) != a.NonceStr {
		t.Fatalf("timestamp %s nonce %s", a.Timestamp, a.NonceStr)
	}
	msg := RequestMessage("POST", "/v3/pay/transactions/out-trade-no/f2f001/close", a.Timestamp, a.NonceStr, body)
	if err := VerifySignature(&key.PublicKey, msg, a.Signature); err != nil {
		t.Fatalf("signature over the documented message: %v", err)
	}
	if _, err := (Signer{MchID: "1", Key: key}).Authorize("GET", "/v3/x", nil, now); err == nil {
		t.Fatal("a signer without a serial signed")
	}
}
