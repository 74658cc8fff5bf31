package api_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The shape of docs/api.md that api_doc_test.go relies on, so that a change to the API cannot
// land without its reference:
//   - "## Routes" holds one "### METHOD /path" heading per operation, paths written as in
//     the OpenAPI document ({out_trade_no}).
//   - "## Objects" holds one "### Name" heading per object schema an answer returns.
//   - A table whose first header cell is "field" or "parameter" lists fields: its first
//     column is the `name`, nested ones dotted (`error.code`); a "required" column says
//     yes or no, an "in" column path or query. A table whose first header cell is "status"
//     lists an operation's HTTP statuses (`201`); one headed "code" lists the error codes.
//   - Fenced blocks keep their info string (http, text, json) for the worked examples.

// mdDoc is docs/api.md split into headed sections.
type mdDoc struct {
	text     string
	sections []mdSection
}

// mdSection is one heading and every line up to the next heading of the same or a higher
// level, so a "##" section includes its "###" subsections.
type mdSection struct {
	level      int
	title      string
	start, end int // line numbers of the heading and of the next section's heading
	lines      []string
}

// mdTable is one table: its header cells and its rows' cells.
type mdTable struct {
	header []string
	rows   [][]string
	raw    []string // each row's line as written
}

// mdFence is one fenced code block.
type mdFence struct {
	info string
	body string
}

var headingLine = regexp.MustCompile(`^(#{1,6}) +(.+?) *$`)

func loadDoc(t *testing.T) *mdDoc {
	t.Helper()
	b, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatalf("docs/api.md: %v", err)
	}
	d := &mdDoc{text: string(b)}
	lines := strings.Split(d.text, "\n")
	type open struct{ level, start int }
	var heads []open
	var titles []string
	inFence := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			inFence = !inFence
		}
		if m := headingLine.FindStringSubmatch(l); m != nil && !inFence {
			heads = append(heads, open{len(m[1]), i})
			titles = append(titles, m[2])
		}
	}
	for i, h := range heads {
		end := len(lines)
		for _, next := range heads[i+1:] {
			if next.level <= h.level {
				end = next.start
				break
			}
		}
		d.sections = append(d.sections, mdSection{level: h.level, title: titles[i], start: h.start, end: end,
			lines: lines[h.start+1 : end]})
	}
	return d
}

// find returns the section with the heading.
func (d *mdDoc) find(level int, title string) (mdSection, bool) {
	for _, s := range d.sections {
		if s.level == level && s.title == title {
			return s, true
		}
	}
	return mdSection{}, false
}

// section returns the section with the heading, failing the test when there is none.
func (d *mdDoc) section(t *testing.T, level int, title string) mdSection {
	t.Helper()
	s, ok := d.find(level, title)
	if !ok {
		t.Fatalf("docs/api.md has no %s %s heading", strings.Repeat("#", level), title)
	}
	return s
}

// subsections returns the sections one level below s, in order.
func (d *mdDoc) subsections(s mdSection) []mdSection {
	var out []mdSection
	for _, c := range d.sections {
		if c.level == s.level+1 && c.start > s.start && c.start < s.end {
			out = append(out, c)
		}
	}
	return out
}

// tables returns the tables of s outside fenced blocks.
func (s mdSection) tables() []mdTable {
	var out []mdTable
	var cur *mdTable
	inFence := false
	for _, l := range s.lines {
		if strings.HasPrefix(l, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(l, "|") {
			cur = nil
			continue
		}
		cells := splitRow(l)
		switch {
		case cur == nil:
			out = append(out, mdTable{header: cells})
			cur = &out[len(out)-1]
		case strings.Trim(strings.Join(cells, ""), "-: ") == "":
			// the separator row
		default:
			cur.rows = append(cur.rows, cells)
			cur.raw = append(cur.raw, l)
		}
	}
	return out
}

// fences returns the fenced blocks of s in order.
func (s mdSection) fences() []mdFence {
	var out []mdFence
	var cur *mdFence
	var body []string
	for _, l := range s.lines {
		if !strings.HasPrefix(l, "```") {
			if cur != nil {
				body = append(body, l)
			}
			continue
		}
		if cur == nil {
			cur, body = &mdFence{info: strings.TrimPrefix(l, "```")}, nil
			continue
		}
		cur.body = strings.Join(body, "\n")
		out = append(out, *cur)
		cur = nil
	}
	return out
}

func splitRow(line string) []string {
	cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// codeCell returns the text of a cell written as one `code span`, or "".
func codeCell(cell string) string {
	if len(cell) > 2 && strings.HasPrefix(cell, "`") && strings.HasSuffix(cell, "`") && strings.Count(cell, "`") == 2 {
		return cell[1 : len(cell)-1]
	}
	return ""
}

// column returns the index of the header cell named name, or -1.
func (tb mdTable) column(name string) int {
	for i, h := range tb.header {
		if strings.EqualFold(h, name) {
			return i
		}
	}
	return -1
}

// diffSets reports every key in one set and not in the other.
func diffSets(t *testing.T, aName string, a map[string]bool, bName string, b map[string]bool) {
	t.Helper()
	var onlyA, onlyB []string
	for k := range a {
		if !b[k] {
			onlyA = append(onlyA, k)
		}
	}
	for k := range b {
		if !a[k] {
			onlyB = append(onlyB, k)
		}
	}
	slices.Sort(onlyA)
	slices.Sort(onlyB)
	for _, k := range onlyA {
		t.Errorf("%s has %q; %s does not", aName, k, bName)
	}
	for _, k := range onlyB {
		t.Errorf("%s has %q; %s does not", bName, k, aName)
	}
}
