package bill

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// TestZipVariations: the files are found by name suffix wherever they sit, by their
// first line when the names are unreadable, and other files are ignored.
func TestZipVariations(t *testing.T) {
	t.Parallel()
	detail, summary := gbk(t, render(fixtureDetail)), gbk(t, render(fixtureSummary))
	cases := map[string][]entry{
		"UTF-8 names in a folder": {
			{name: "bill/" + detailEntry, data: detail}, {name: "bill/" + summaryEntry, data: summary}},
		"full-width parentheses, Windows path": {
			{name: `x\` + detailEntry, data: detail, gbkName: true},
			{name: strings.NewReplacer("(", "（", ")", "）").Replace(summaryEntry), data: summary, gbkName: true}},
		"unreadable names": {
			{name: "a.csv", data: summary}, {name: "b.CSV", data: detail}},
		"extra files": {
			{name: "readme.txt", data: []byte("hi")}, {name: fixtureAccount + "_20261128_财务明细.csv", data: []byte("x")},
			{name: "dir/", data: nil}, {name: detailEntry, data: detail, gbkName: true}, {name: summaryEntry, data: summary}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			for _, method := range []uint16{zip.Store, zip.Deflate} {
				b, err := Parse(makeZip(t, method, entries...))
				if err != nil {
					t.Fatal(err)
				}
				if len(b.Trades) != 5 || b.Summary == nil || b.Summary.Total.Fee != -705 {
					t.Errorf("method %d: %d rows, summary %v", method, len(b.Trades), b.Summary != nil)
				}
			}
		})
	}
	b, err := Parse(makeZip(t, zip.Deflate, entry{name: detailEntry, data: detail}))
	if err != nil || b.Summary != nil {
		t.Errorf("detail only: %v, summary %v", err, b.Summary)
	}
}

// TestZipMalformed: archives that are not bills are refused with a zip-level error.
func TestZipMalformed(t *testing.T) {
	t.Parallel()
	detail := gbk(t, render(fixtureDetail))
	damaged := makeZip(t, zip.Deflate, entry{name: detailEntry, data: detail})
	zr, err := zip.NewReader(bytes.NewReader(damaged), int64(len(damaged)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := zr.File[0].DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	damaged[off+int64(zr.File[0].CompressedSize64/2)] ^= 0xFF // inside the compressed data

	// A central directory that claims a 4 GiB entry: refused before any byte is inflated.
	huge := makeZip(t, zip.Store, entry{name: detailEntry, data: detail})
	dir := bytes.LastIndex(huge, []byte{0x50, 0x4b, 0x01, 0x02})
	binary.LittleEndian.PutUint32(huge[dir+24:], 0xFFFFFFF0)

	cases := map[string]struct {
		data []byte
		want string
	}{
		"not a zip":    {[]byte("#支付宝业务明细查询"), "not a zip"},
		"empty":        {nil, "not a zip"},
		"no detail":    {makeZip(t, zip.Deflate, entry{name: summaryEntry, data: gbk(t, render(fixtureSummary))}), "no …_业务明细.csv"},
		"two details":  {makeZip(t, zip.Deflate, entry{name: detailEntry, data: detail}, entry{name: "b/" + detailEntry, data: detail}), "two files"},
		"damaged data": {damaged, "damaged"},
		"huge entry":   {huge, "larger than 256 MiB"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(c.data)
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != "zip" || !strings.Contains(fe.Msg, c.want) {
				t.Errorf("got %v, want a zip error with %q", err, c.want)
			}
		})
	}
	// An error inside a file names that file, as the zip calls it.
	bad := makeZip(t, zip.Deflate, entry{name: detailEntry, data: gbk(t, render(replace(fixtureDetail, ",32.00,32.00,", ",x,32.00,"))), gbkName: true})
	_, err = Parse(bad)
	if err == nil || err.Error() != "alipay bill "+detailEntry+" line 6, column 订单金额（元）: amount \"x\" is not yuan with at most two decimals" {
		t.Errorf("error %v", err)
	}
}
