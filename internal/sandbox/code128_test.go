package sandbox

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
)

// decodeBarcode reads a Code 128 PNG with an independent decoder (ZXing's port).
func decodeBarcode(t *testing.T, pngBytes []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := oned.NewCode128Reader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("ZXing cannot read the barcode: %v", err)
	}
	return res.GetText()
}

// TestCode128ReadsBack: every pattern has 11 modules (the stop 13), and ZXing reads our
// PNGs back to the digits, for codes of every length Alipay allows.
func TestCode128ReadsBack(t *testing.T) {
	for i, p := range code128Patterns {
		sum := 0
		for _, c := range p {
			sum += int(c - '0')
		}
		if want := map[bool]int{true: 13, false: 11}[i == code128Stop]; sum != want {
			t.Fatalf("pattern %d sums to %d", i, sum)
		}
	}
	for _, digits := range []string{"2800000000000000", "250123456789012345", "300099887766554433221100"} {
		img, err := barcodePNG(digits, 2, 60)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeBarcode(t, img); got != digits {
			t.Fatalf("read %q, want %q", got, digits)
		}
	}
	if _, err := code128C("123"); err == nil {
		t.Fatal("odd length accepted")
	}
}
