package bill

import (
	"fmt"
	"time"
)

// column is one field the parser reads, under any of its spellings (canonicalHeader form).
type column struct {
	key      string
	names    []string
	required bool
}

// header maps the fields to cell positions, found by name in the header row.
type header struct {
	file    string
	index   map[string]int    // key → cell index
	printed map[string]string // key → the name as the file prints it
	width   int
}

// readHeader locates cols in a header row. A required column that is missing, or a field
// present twice, is an error on that line; columns the parser does not read are ignored.
func readHeader(file string, line int, cells []string, cols []column) (*header, error) {
	byName := make(map[string]string)
	for _, c := range cols {
		for _, n := range c.names {
			byName[n] = c.key
		}
	}
	h := &header{file: file, index: map[string]int{}, printed: map[string]string{}, width: len(cells)}
	for i, cell := range cells {
		key, ok := byName[canonicalHeader(cell)]
		if !ok {
			continue
		}
		if prev, dup := h.printed[key]; dup {
			return nil, &FormatError{File: file, Line: line, Column: cleanCell(cell),
				Msg: fmt.Sprintf("column appears twice (also as %s)", prev)}
		}
		h.index[key], h.printed[key] = i, cleanCell(cell)
	}
	for _, c := range cols {
		if _, ok := h.index[c.key]; c.required && !ok {
			return nil, &FormatError{File: file, Line: line, Column: c.names[0], Msg: "required column is missing from the header"}
		}
	}
	return h, nil
}

// record reads the cells of one data row by field. It keeps the first error so that a
// row is read in one pass and checked once.
type record struct {
	h     *header
	line  int
	cells []string
	err   error
}

// newRecord checks the row's width: cells missing at the end read as empty (a spreadsheet
// drops them), extra cells must be empty (trailing commas).
func newRecord(h *header, line int, cells []string) *record {
	r := &record{h: h, line: line, cells: cells}
	for i := h.width; i < len(cells); i++ {
		if cleanCell(cells[i]) != "" {
			r.fail("", fmt.Sprintf("%d cells where the header has %d", len(cells), h.width))
			break
		}
	}
	return r
}

func (r *record) fail(key, msg string) {
	if r.err == nil {
		r.err = &FormatError{File: r.h.file, Line: r.line, Column: r.h.printed[key], Msg: msg}
	}
}

// str is the cleaned cell of key, "" when the column or the cell is absent.
func (r *record) str(key string) string {
	i, ok := r.h.index[key]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return cleanCell(r.cells[i])
}

// need is str, failing when the cell is empty.
func (r *record) need(key string) string {
	s := r.str(key)
	if s == "" {
		r.fail(key, "empty cell")
	}
	return s
}

// fen reads an amount; an empty cell is 0 unless the column is required.
func (r *record) fen(key string, required bool) int64 {
	s := r.str(key)
	if s == "" {
		if required {
			r.fail(key, "empty amount")
		}
		return 0
	}
	v, ok := parseFen(s)
	if !ok {
		r.fail(key, fmt.Sprintf("amount %q is not yuan with at most two decimals", clip(s)))
	}
	return v
}

// count reads a required non-negative count.
func (r *record) count(key string) int {
	s := r.need(key)
	if s == "" {
		return 0
	}
	v, ok := parseCount(s)
	if !ok {
		r.fail(key, fmt.Sprintf("count %q is not a whole number", clip(s)))
	}
	return v
}

// time reads a required time in Asia/Shanghai.
func (r *record) time(key string) time.Time {
	s := r.need(key)
	if s == "" {
		return time.Time{}
	}
	t, ok := parseTime(s, rowTimeLayouts)
	if !ok {
		r.fail(key, fmt.Sprintf("time %q is not yyyy-MM-dd HH:mm:ss", clip(s)))
	}
	return t
}

// clip shortens a value quoted in an error, so a garbage cell cannot flood a log.
func clip(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	for i := limit; i > 0; i-- {
		if s[i]&0xC0 != 0x80 { // a rune boundary
			return s[:i] + "…"
		}
	}
	return ""
}
