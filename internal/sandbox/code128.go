package sandbox

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
)

// code128Patterns are the Code 128 symbols 0..106: module widths of bar, space, bar,
// space, bar, space (and a final bar for the stop symbol, 106).
var code128Patterns = [...]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232", "2331112",
}

const (
	code128StartC = 105
	code128Stop   = 106
)

// code128C encodes an even number of digits in Code 128 set C (two digits a symbol, as
// tills' scanners read payment codes): start C, the pairs, the mod-103 check, stop. It
// returns module widths, bars and spaces alternating, starting with a bar.
func code128C(digits string) ([]int, error) {
	if len(digits) == 0 || len(digits)%2 != 0 {
		return nil, errors.New("code128: need an even number of digits")
	}
	symbols := []int{code128StartC}
	sum := code128StartC
	for i := 0; i < len(digits); i += 2 {
		a, b := digits[i]-'0', digits[i+1]-'0'
		if a > 9 || b > 9 {
			return nil, errors.New("code128: digits only")
		}
		v := int(a)*10 + int(b)
		sum += v * (i/2 + 1)
		symbols = append(symbols, v)
	}
	symbols = append(symbols, sum%103, code128Stop)
	var widths []int
	for _, sym := range symbols {
		for _, c := range code128Patterns[sym] {
			widths = append(widths, int(c-'0'))
		}
	}
	return widths, nil
}

// barcodePNG draws digits as a Code 128 PNG: module pixels a module, height pixels tall,
// with the 10-module quiet zone on both sides that scanners need.
func barcodePNG(digits string, module, height int) ([]byte, error) {
	widths, err := code128C(digits)
	if err != nil {
		return nil, err
	}
	total := 20
	for _, w := range widths {
		total += w
	}
	img := image.NewGray(image.Rect(0, 0, total*module, height))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	x := 10 * module
	for i, w := range widths {
		if i%2 == 0 { // bars are the even entries
			for dx := 0; dx < w*module; dx++ {
				for y := 0; y < height; y++ {
					img.SetGray(x+dx, y, color.Gray{Y: 0})
				}
			}
		}
		x += w * module
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
