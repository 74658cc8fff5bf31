package main

import (
	"io"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Half blocks draw two QR modules per character cell, one above the other, so that the
// code stays square in a terminal whose cells are about twice as high as wide.
const (
	blockFull  = '█' // both light
	blockUpper = '▀' // upper light, lower dark
	blockLower = '▄' // upper dark, lower light
	blockNone  = ' ' // both dark
)

// renderQR writes text as a QR code (error correction M, the standard 4-module quiet
// zone) in half-block characters. Light modules are drawn as blocks, for the usual dark
// terminal background; invert draws dark modules instead, for light backgrounds.
func renderQR(w io.Writer, text string, invert bool) error {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return err
	}
	bits := q.Bitmap() // true = dark, quiet zone included
	light := func(y, x int) bool {
		if y >= len(bits) {
			return !invert // the padding row below an odd height is quiet zone
		}
		return bits[y][x] == invert
	}
	var b strings.Builder
	for y := 0; y < len(bits); y += 2 {
		for x := range bits[y] {
			up, down := light(y, x), light(y+1, x)
			switch {
			case up && down:
				b.WriteRune(blockFull)
			case up:
				b.WriteRune(blockUpper)
			case down:
				b.WriteRune(blockLower)
			default:
				b.WriteRune(blockNone)
			}
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}
