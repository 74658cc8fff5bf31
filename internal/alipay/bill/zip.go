package bill

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// MaxFileSize bounds each file read out of a bill zip (uncompressed), so that a crafted
// archive cannot exhaust memory. A day of 200,000 rows is about 60 MiB.
const MaxFileSize = 256 << 20

// files are the two CSV files of a bill, taken out of the zip.
type files struct {
	detailName, summaryName string
	detail, summary         []byte
	hasDetail, hasSummary   bool
}

type fileKind int

const (
	otherFile fileKind = iota
	detailFile
	summaryFile
)

func zipErr(format string, a ...any) error {
	return &FormatError{File: "zip", Msg: fmt.Sprintf(format, a...)}
}

// openZip finds and reads the detail and summary files. Other entries (older bills'
// 财务明细, directories) are skipped.
func openZip(data []byte) (files, error) {
	var f files
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return f, zipErr("not a zip archive: %v", err)
	}
	for _, e := range zr.File {
		if e.FileInfo().IsDir() {
			continue
		}
		name := entryName(e.Name)
		kind := classifyName(name)
		if kind == otherFile && strings.HasSuffix(strings.ToLower(name), ".csv") {
			kind = sniff(e)
		}
		if kind == otherFile {
			continue
		}
		if (kind == detailFile && f.hasDetail) || (kind == summaryFile && f.hasSummary) {
			return f, zipErr("two files of the same kind: %s", name)
		}
		b, err := readEntry(e, name)
		if err != nil {
			return f, err
		}
		if kind == detailFile {
			f.detailName, f.detail, f.hasDetail = name, b, true
		} else {
			f.summaryName, f.summary, f.hasSummary = name, b, true
		}
	}
	if !f.hasDetail {
		return f, zipErr("no …_业务明细.csv file in the archive")
	}
	return f, nil
}

// entryName is an entry's base name in UTF-8. Alipay writes GBK names without the zip's
// UTF-8 flag; archive/zip then hands over the raw bytes.
func entryName(raw string) string {
	name := raw
	if !utf8.ValidString(name) {
		if dec, err := simplifiedchinese.GB18030.NewDecoder().String(name); err == nil {
			name = dec
		}
	}
	name = strings.ReplaceAll(name, `\`, "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.NewReplacer("（", "(", "）", ")").Replace(name)
}

func classifyName(name string) fileKind {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, "业务明细(汇总).csv"):
		return summaryFile
	case strings.HasSuffix(lower, "业务明细.csv"):
		return detailFile
	}
	return otherFile
}

// Title lines, in GBK and UTF-8, that identify a file whose name could not be read.
var (
	detailTitles  = titles("业务明细查询")
	summaryTitles = titles("业务汇总查询")
)

func titles(s string) [][]byte {
	out := [][]byte{[]byte(s)}
	if g, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s)); err == nil {
		out = append(out, g)
	}
	return out
}

// sniff classifies a .csv entry by its first bytes.
func sniff(e *zip.File) fileKind {
	rc, err := e.Open()
	if err != nil {
		return otherFile
	}
	defer rc.Close()
	head, _ := io.ReadAll(io.LimitReader(rc, 256))
	for _, t := range detailTitles {
		if bytes.Contains(head, t) {
			return detailFile
		}
	}
	for _, t := range summaryTitles {
		if bytes.Contains(head, t) {
			return summaryFile
		}
	}
	return otherFile
}

func readEntry(e *zip.File, name string) ([]byte, error) {
	if e.UncompressedSize64 > MaxFileSize {
		return nil, zipErr("%s is larger than %d MiB", name, MaxFileSize>>20)
	}
	rc, err := e.Open()
	if err != nil {
		return nil, zipErr("%s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxFileSize+1))
	if err != nil {
		return nil, zipErr("%s is damaged: %v", name, err)
	}
	if len(b) > MaxFileSize {
		return nil, zipErr("%s is larger than %d MiB", name, MaxFileSize>>20)
	}
	return b, nil
}
