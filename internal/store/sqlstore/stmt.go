package sqlstore

import (
	"strconv"
	"strings"
)

// stmt names one statement of the store: an index into statements.
type stmt int

// statements holds every statement of the store in the portable form, by stmt. It is
// filled while the package initialises (define) and only read afterwards, so that New can
// compile, and a later step prepare, each one exactly once.
var statements []namedSQL

// writes tells, by stmt, whether a statement changes rows (INSERT, UPDATE, DELETE), so
// that a standalone one goes through group commit.
var writes []bool

// namedSQL is one statement and the name it is known by (the method that runs it).
type namedSQL struct{ name, text string }

// define adds a statement written in the portable form (? placeholders, {skip_locked},
// {greatest}) and returns its name.
func define(name, text string) stmt {
	statements = append(statements, namedSQL{name, text})
	verb := strings.ToUpper(strings.Fields(text)[0])
	writes = append(writes, verb == "INSERT" || verb == "UPDATE" || verb == "DELETE")
	return stmt(len(statements) - 1)
}

// dialect is a Dialect with every statement compiled for it.
type dialect struct {
	Dialect
	markers *strings.Replacer
	text    []string // by stmt
}

// compile returns d with every defined statement compiled.
func compile(d Dialect) *dialect {
	c := &dialect{Dialect: d, markers: strings.NewReplacer(
		"{skip_locked}", d.SkipLocked,
		"{greatest}", d.Greatest,
	)}
	c.text = make([]string, len(statements))
	for i, s := range statements {
		c.text[i] = c.compile(s.text)
	}
	return c
}

// compile turns a statement in the portable form into the dialect's.
func (d *dialect) compile(text string) string {
	text = d.markers.Replace(text)
	if !d.Numbered {
		return text
	}
	var b strings.Builder
	n := 0
	for _, r := range text {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
