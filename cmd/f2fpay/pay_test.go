//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/sys/unix"

	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal available: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// decodeHalfBlocks reads back the QR that renderQR drew: every line made only of block
// characters is two rows of modules (a block is light), which become a bitmap that a QR
// decoder reads.
func decodeHalfBlocks(screen string) (string, error) {
	var rows [][]bool // true = dark
	for _, line := range strings.Split(screen, "\n") {
		line = strings.TrimRight(line, "\r")
		if len([]rune(line)) < 21 || strings.Trim(line, "█▀▄ ") != "" {
			continue
		}
		up, down := []bool{}, []bool{}
		for _, r := range line {
			up = append(up, !(r == blockFull || r == blockUpper))
			down = append(down, !(r == blockFull || r == blockLower))
		}
		rows = append(rows, up, down)
	}
	if len(rows) == 0 {
		return "", fmt.Errorf("no QR block in the output")
	}
	const px = 4 // pixels per module
	img := image.NewGray(image.Rect(0, 0, len(rows[0])*px, len(rows)*px))
	for y, row := range rows {
		for x, dark := range row {
			c := color.Gray{Y: 255}
			if dark {
				c.Y = 0
			}
			for dy := range px {
				for dx := range px {
					img.SetGray(x*px+dx, y*px+dy, c)
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func TestRenderQRRoundTrip(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"https://qr.alipay.com/bax08431ocgh9vqwqgkp0049", "http://127.0.0.1:8080/sandbox/scan/AbCdEf0123456789"} {
		var b strings.Builder
		if err := renderQR(&b, text, false); err != nil {
			t.Fatal(err)
		}
		got, err := decodeHalfBlocks(b.String())
		if err != nil || got != text {
			t.Fatalf("decoded %q, %v; want %q\n%s", got, err, text, b.String())
		}
	}
}

// TestPayInTerminal runs `f2fpay pay` on a pseudo-terminal against a demo: the QR it draws
// decodes to the order's QR text, paying that QR in the simulator ends the command with
// exit status 0, and --json prints the paid order.
func TestPayInTerminal(t *testing.T) {
	dir := t.TempDir()
	demo := runDemoForTest(t, dir)
	master, slave := openPTY(t)
	screen := &testbin.Buffer{}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			screen.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	done := make(chan int, 1)
	go func() {
		done <- runPay(t.Context(), []string{"--demo", filepath.Join(dir, "demo.json"), "--amount", "9.90", "--subject", "pty test", "--json"}, slave, slave)
	}()
	// The spinner runs: the QR is complete.
	testutil.WaitFor(t, 0, "the QR and the spinner", func() bool { return strings.Contains(screen.String(), "left") })
	text, err := decodeHalfBlocks(screen.String())
	if err != nil {
		t.Fatalf("decode the terminal QR: %v\n%s", err, screen.String())
	}
	if !strings.HasPrefix(text, demo.state.BaseURL+"/sandbox/scan/") {
		t.Fatalf("decoded %q, not a QR of this demo's simulator", text)
	}
	if code := demo.sandbox("POST", "/sandbox/api/pay", map[string]string{"qr_code": text}, nil); code != 200 {
		t.Fatalf("paying the decoded QR: HTTP %d", code)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, screen.String())
		}
	case <-time.After(testutil.DefaultWait):
		t.Fatalf("f2fpay pay did not end within %s of the payment:\n%s", testutil.DefaultWait, screen.String())
	}
	// The program has ended; give the terminal's copy a moment to show its last line.
	testutil.Eventually(2*time.Second, func() bool { return strings.HasSuffix(strings.TrimSpace(screen.String()), "}") })
	out := screen.String()
	start := strings.Index(out, "{")
	var final struct {
		Status string `json:"status"`
		QRCode string `json:"qr_code"`
	}
	if start < 0 || json.Unmarshal([]byte(strings.ReplaceAll(out[start:], "\r", "")), &final) != nil {
		t.Fatalf("no JSON order at the end:\n%s", out)
	}
	if final.Status != "paid" || final.QRCode != text {
		t.Fatalf("final order %+v, want paid with QR %q", final, text)
	}
}
