package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// TestPayWeChat runs `f2fpay pay --channel wechat` against a demo: the QR it draws decodes to
// WeChat Pay's code_url, the command asks to scan with WeChat, paying that code_url at the
// demo's WeChat sandbox ends it with exit status 0, and --json prints the paid wechat order.
func TestPayWeChat(t *testing.T) {
	dir := t.TempDir()
	demo := runDemoForTest(t, dir)
	stdout, stderr := &testbin.Buffer{}, &testbin.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- runPay(t.Context(), []string{"--demo", filepath.Join(dir, "demo.json"), "--amount", "0.01", "--subject", "微信 pay test",
			"--channel", "wechat", "--json"}, stdout, stderr)
	}()
	testutil.WaitFor(t, 0, "the QR", func() bool { return strings.Contains(stderr.String(), "waiting for the buyer") })
	if !strings.Contains(stderr.String(), "scan with WeChat, or open "+demo.state.BaseURL+"/pay/") {
		t.Fatalf("no WeChat prompt:\n%s", stderr.String())
	}
	text, err := decodeHalfBlocks(stderr.String())
	if err != nil || !strings.HasPrefix(text, "weixin://wxpay/bizpayurl?pr=") {
		t.Fatalf("decoded %q (%v), not a WeChat Pay code_url", text, err)
	}
	if code := demo.sandbox("POST", "/sandbox/wechat/api/pay", map[string]string{"code_url": text}, nil); code != 200 {
		t.Fatalf("paying the decoded code_url: HTTP %d", code)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(testutil.DefaultWait):
		t.Fatalf("f2fpay pay did not end within %s of the payment:\n%s", testutil.DefaultWait, stderr.String())
	}
	var final struct {
		Status      string `json:"status"`
		Channel     string `json:"channel"`
		QRCode      string `json:"qr_code"`
		TotalAmount string `json:"total_amount"`
		TradeNo     string `json:"trade_no"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(stdout.String())))
	if err := dec.Decode(&final); err != nil {
		t.Fatalf("no JSON order on stdout: %v\n%s", err, stdout.String())
	}
	if final.Status != "paid" || final.Channel != "wechat" || final.QRCode != text || final.TotalAmount != "0.01" || final.TradeNo == "" {
		t.Fatalf("final order %+v", final)
	}
}
