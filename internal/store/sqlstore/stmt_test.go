package sqlstore

import (
	"strings"
	"testing"
)

func TestCompile(t *testing.T) {
	pg := compile(Dialect{Numbered: true, SkipLocked: " FOR UPDATE SKIP LOCKED", Greatest: "GREATEST"})
	lite := compile(Dialect{Greatest: "max"})
	const portable = `UPDATE t SET a = {greatest}(a, ?) WHERE id IN (SELECT id FROM t WHERE b = ? LIMIT ?{skip_locked})`
	for _, tc := range []struct {
		d    *dialect
		want string
	}{
		{pg, `UPDATE t SET a = GREATEST(a, $1) WHERE id IN (SELECT id FROM t WHERE b = $2 LIMIT $3 FOR UPDATE SKIP LOCKED)`},
		{lite, `UPDATE t SET a = max(a, ?) WHERE id IN (SELECT id FROM t WHERE b = ? LIMIT ?)`},
	} {
		if got := tc.d.compile(portable); got != tc.want {
			t.Errorf("compile(%s, Numbered=%v):\n got  %s\n want %s", tc.d.Name, tc.d.Numbered, got, tc.want)
		}
	}
}

// TestStatements: every statement has a name of its own, and compiles for PostgreSQL with
// no marker left and numbered placeholders only.
func TestStatements(t *testing.T) {
	pg := compile(Dialect{Numbered: true, SkipLocked: " FOR UPDATE SKIP LOCKED", Greatest: "GREATEST"})
	if len(pg.text) != len(statements) || len(statements) == 0 {
		t.Fatalf("compiled %d statements of %d", len(pg.text), len(statements))
	}
	seen := map[string]bool{}
	for i, s := range statements {
		if seen[s.name] {
			t.Errorf("statement name %q defined twice", s.name)
		}
		seen[s.name] = true
		if c := pg.text[i]; strings.ContainsAny(c, "?{}") {
			t.Errorf("%s compiled with a placeholder or marker left: %s", s.name, c)
		}
	}
}
